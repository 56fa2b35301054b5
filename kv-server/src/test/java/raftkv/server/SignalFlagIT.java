package raftkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The native SIGTERM flag: set by the signal itself, and the signal still reaches the JVM's own
 * handler behind it (so the node's Java handler goes on to stop it gracefully).
 */
class SignalFlagIT {
    @Test
    void sigtermSetsTheFlagAndStillReachesTheJavaHandler() throws Exception {
        assumeTrue(SignalFlag.class.getResource("/native/linux-x86_64/libraftkv_signal.so") != null,
                "the build found no C compiler: no native flag to test");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-cp", classpath, SignalFlagChild.class.getName()))
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine(), "the child installs the flag");
            assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(child.pid())).start().waitFor());
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child exits");
            assertEquals(0, child.exitValue(), "0: flag seen, then the Java handler ran (3: not installed, 4: no flag, 5: no handler)");
        } finally {
            child.destroyForcibly();
        }
    }
}
