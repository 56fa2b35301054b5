package raftkv.it;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code scripts/abuse}: issue 14's attacks at full size (or {@code --small}, the sizes of
 * {@link AbuseIT}) against a new 3-node cluster on 127.0.0.1, in a temporary folder. Prints one
 * line per attack; exit 0 if every check held, 1 otherwise.
 */
public final class AbuseMain {
    private AbuseMain() {}

    public static void main(String[] args) throws Exception {
        Abuse.Sizes sizes = Abuse.Sizes.full();
        String only = "";
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--small")) {
                sizes = Abuse.Sizes.forIt();
            } else if (args[i].equals("--only") && i + 1 < args.length) {
                only = args[++i];
            } else {
                System.err.println("usage: scripts/abuse [--small] [--only WORDS]");
                System.exit(2);
            }
        }
        Path dir = Files.createTempDirectory("raftkv-abuse");
        int exit = 0;
        try (Abuse abuse = Abuse.start(dir, sizes)) {
            abuse.runAll(only);
            System.out.println("abuse: every attack passed");
        } catch (AssertionError e) {
            System.out.println("abuse: FAILED: " + e.getMessage());
            System.out.println("abuse: node logs are in " + dir);
            exit = 1;
        }
        if (exit == 0) TestCluster.deleteRecursively(dir);
        System.exit(exit);
    }
}
