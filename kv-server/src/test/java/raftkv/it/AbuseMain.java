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
        for (String a : args) {
            if (a.equals("--small")) {
                sizes = Abuse.Sizes.forIt();
            } else {
                System.err.println("usage: scripts/abuse [--small]");
                System.exit(2);
            }
        }
        Path dir = Files.createTempDirectory("raftkv-abuse");
        int exit = 0;
        try (Abuse abuse = Abuse.start(dir, sizes)) {
            abuse.attack("values up to the quota", abuse::quota);
            abuse.attack("idle connections and never-read gets", abuse::idleConnectionsAndNeverReadGets);
            abuse.attack("distinct request ids", abuse::distinctRequestIds);
            abuse.attack("one request id, two values", abuse::reusedRequestId);
            abuse.attack("a value over the maximum", abuse::valueOverTheMaximum);
            abuse.attack("client flood", abuse::clientFlood);
            abuse.attack("pipelined flood over the client queue", abuse::pipelinedFlood);
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
