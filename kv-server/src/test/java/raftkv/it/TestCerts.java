package raftkv.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made when a test runs, by the project's own {@code scripts/certs} (openssl), with
 * the classes under test on its class path so that it never starts a build. Nothing is committed.
 */
final class TestCerts {
    private TestCerts() {}

    /** The repository root, where {@code scripts/} is: the test runs in a module folder. */
    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("scripts/certs"))) dir = dir.getParent();
        if (dir == null) throw new IllegalStateException("scripts/certs not found above " + Path.of("").toAbsolutePath());
        return dir;
    }

    /**
     * Runs {@code scripts/certs --config CONFIG --out OUT [args...]}; fails with its output unless it exits 0.
     * Returns what it printed.
     */
    static String run(Path config, Path out, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(root().resolve("scripts/certs").toString(),
                "--config", config.toString(), "--out", out.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("RAFTKV_CLASSPATH",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        Process p = pb.start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("scripts/certs did not finish within 120 s");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new AssertionError("scripts/certs exited " + p.exitValue() + ":\n" + text);
        return text;
    }
}
