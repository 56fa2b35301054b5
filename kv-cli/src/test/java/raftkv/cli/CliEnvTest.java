package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The working folder of the real process: the JVM's, or the caller's when bin/kvctl runs the JVM elsewhere. */
class CliEnvTest {
    @TempDir
    Path dir;

    @Test
    void theLaunchersFolderWinsOverTheJvmsAndRelativePathsResolveAgainstIt() {
        String before = System.getProperty(CliEnv.WORKDIR_PROPERTY);
        try {
            System.clearProperty(CliEnv.WORKDIR_PROPERTY);
            assertEquals(Path.of("").toAbsolutePath(), CliEnv.system().workingDir());
            System.setProperty(CliEnv.WORKDIR_PROPERTY, dir.toString());
            assertEquals(dir, CliEnv.system().workingDir());
            assertEquals(dir.resolve("value.txt"), CliEnv.system().workingDir().resolve("value.txt"));
        } finally {
            if (before == null) System.clearProperty(CliEnv.WORKDIR_PROPERTY);
            else System.setProperty(CliEnv.WORKDIR_PROPERTY, before);
        }
    }
}
