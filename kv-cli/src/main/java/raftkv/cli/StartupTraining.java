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
 * in one JVM, against an endpoint where nothing listens, so the archive holds picocli's model of
 * every command, the gRPC and Netty client, and the failover path. Prints nothing; exits 0.
 */
public final class StartupTraining {
    private StartupTraining() {}

    public static void main(String[] args) {
        String endpoint = args.length > 0 ? args[0] : "127.0.0.1:1";
        List<String[]> runs = List.of(
                new String[] {"--help"},
                new String[] {"get", "k", "--endpoints", endpoint, "--timeout", "1"},
                new String[] {"set", "k", "v", "--endpoints", endpoint, "--timeout", "1"},
                new String[] {"getm", "k", "--endpoints", endpoint, "--timeout", "1", "-o", "json"},
                new String[] {"status", "--endpoints", endpoint, "--timeout", "1"});
        for (String[] run : runs) {
            PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            CliEnv env = new CliEnv(new ByteArrayInputStream(new byte[0]), sink, sink, name -> null, Path.of("."), false);
            KvCtl.commandLine(env).execute(run);
        }
        System.exit(0);
    }
}
