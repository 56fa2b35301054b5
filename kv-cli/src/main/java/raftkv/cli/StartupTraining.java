package raftkv.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The training run behind the class-data-sharing archive that the release ships for kvctl
 * (dist/pom.xml runs it with {@code -XX:ArchiveClassesAtExit}): kvctl's usual one-shot commands,
 * in one JVM, against a {@link TrainingNode} that answers them (the success path) and against an
 * endpoint where nothing listens (the failover path), so the archive holds picocli's model of
 * every command and the gRPC and Netty client. Prints nothing; exits 0.
 */
public final class StartupTraining {
    private StartupTraining() {}

    public static void main(String[] args) throws Exception {
        String down = args.length > 0 ? args[0] : "127.0.0.1:1";
        try (TrainingNode node = new TrainingNode()) {
            String up = node.endpoint();
            List<String[]> runs = List.of(
                    new String[] {"--help"},
                    new String[] {"--version"},
                    new String[] {"get", "k", "--endpoints", up},
                    new String[] {"set", "k", "v", "--endpoints", up},
                    new String[] {"getm", "k", "--endpoints", up, "-o", "json"},
                    new String[] {"status", "--endpoints", up},
                    new String[] {"get", "k", "--endpoints", down + "," + up, "--timeout", "2"},
                    new String[] {"set", "k", "v", "--endpoints", down, "--timeout", "1"});
            for (String[] run : runs) {
                PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
                CliEnv env = new CliEnv(new ByteArrayInputStream(new byte[0]), sink, sink, name -> null, Path.of("."), false);
                KvCtl.commandLine(env, run).execute(run);
            }
        }
        System.exit(0);
    }
}
