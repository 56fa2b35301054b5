package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;

/**
 * The Node.js client of examples/node-client (built from proto/ and the README alone) passes its
 * own test suite ({@code node --test test.js}) against a real three-node cluster. Needs node and
 * npm on the PATH (CI installs them; see .ci/run); without them this test fails, it is not skipped.
 */
class NodeClientIT {
    private static final Duration NPM_CI_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration NODE_TEST_TIMEOUT = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    @Test
    void theNodeClientExamplePassesItsTestsAgainstARealCluster() throws Exception {
        try (TestCluster cluster = TestCluster.onLocalhost(dir, 3)) {
            runSuite(cluster, Map.of());
        }
    }

    /** The same suite over TLS with clientCertAuth, the three files from the environment (SPEC section 8). */
    @Test
    void theNodeClientExamplePassesItsTestsAgainstATlsCluster() throws Exception {
        try (TestCluster cluster = TestCluster.onLocalhost(dir, 3, "\"fsync\": false").useTls(true, false)) {
            Path certs = cluster.certs();
            runSuite(cluster, Map.of("RAFTKV_CACERT", certs.resolve("ca.crt").toString(),
                    "RAFTKV_CERT", certs.resolve("client.crt").toString(), "RAFTKV_KEY", certs.resolve("client.key").toString()));
        }
    }

    private void runSuite(TestCluster cluster, Map<String, String> tlsEnv) throws Exception {
        Path example = exampleDir();
        Path node = onPath("node");
        Path npm = onPath("npm");
        if (node == null || npm == null) {
            fail("NodeClientIT needs `node` and `npm` on the PATH (Node.js 18 or later; CI uses 20) to run "
                    + example + "; install them, e.g. `apt-get install -y nodejs npm` as .ci/run does. PATH="
                    + System.getenv("PATH"));
        }
        if (!Files.isDirectory(example.resolve("node_modules"))) {
            Run ci = run(example, NPM_CI_TIMEOUT, Map.of(), npm.toString(), "ci", "--no-audit", "--no-fund");
            assertEquals(0, ci.exitCode(), "npm ci failed in " + example + ":\n" + ci.output());
        }
        cluster.startAll();
        cluster.awaitStableLeader(Duration.ofSeconds(60));
        String endpoints = cluster.config().servers().stream().map(ServerSpec::logAddress)
                .collect(Collectors.joining(","));
        Map<String, String> env = new java.util.HashMap<>(tlsEnv);
        env.put("RAFTKV_ENDPOINTS", endpoints);
        Run test = run(example, NODE_TEST_TIMEOUT, env, node.toString(), "--test", "test.js");
        assertEquals(0, test.exitCode(), "node --test test.js failed (" + env + "):\n"
                + test.output() + "\n" + cluster.logs());
    }

    private record Run(int exitCode, String output) {}

    /** Runs a command to completion within {@code timeout}, output to a file; kills it and its children otherwise. */
    private Run run(Path workDir, Duration timeout, Map<String, String> env, String... command)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                killTree(p);
                fail(String.join(" ", command) + " did not finish within " + timeout + ":\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            if (p.isAlive()) killTree(p);
        }
    }

    private static void killTree(Process p) throws InterruptedException {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        tree.forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /** The executable {@code name} in a folder of the PATH, or null. */
    private static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String folder : path.split(File.pathSeparator)) {
            if (folder.isEmpty()) continue;
            Path candidate = Path.of(folder, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return candidate;
        }
        return null;
    }

    /** examples/node-client, found from the working directory (the module's folder under Maven) upwards. */
    private static Path exampleDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("examples").resolve("node-client");
            if (Files.isRegularFile(candidate.resolve("package.json"))) return candidate;
        }
        throw new AssertionError("examples/node-client/package.json not found above " + Path.of("").toAbsolutePath());
    }
}
