package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;

/**
 * {@code scripts/cluster rolling-restart} (SPEC 9), run as a user runs it, against a cluster that
 * {@code scripts/cluster up} started: under a 16-client write load every node is restarted in
 * turn, the leader last after a move-leader, and clients see no error and lose no acknowledged
 * write.
 */
class RollingRestartIT {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void cleanUp() throws Exception {
        if (cluster == null) return;
        script(Duration.ofSeconds(120), "down");
        // Whatever the script did not stop, by the pids it recorded.
        try (Stream<Path> files = Files.list(dir.resolve("data"))) {
            for (Path pidFile : files.filter(f -> f.toString().endsWith(".pid")).toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void everyNodeRestartsInTurnWithNoClientError() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3);
        assertEquals(0, script(Duration.ofSeconds(120), "up"), "scripts/cluster up");
        Map<ServerSpec, Long> pidsBefore = pids();
        long leaderBefore = cluster.awaitLeader(Duration.ofSeconds(60)).id();
        try (WriteLoad load = new WriteLoad(cluster.config().servers(), 16, false)) {
            load.awaitAcks(300);
            assertEquals(0, script(Duration.ofSeconds(400), "rolling-restart"), () -> "scripts/cluster rolling-restart\n" + log());
            long before = load.acks();
            load.awaitAcks(before + 300);
            load.finish();
            assertEquals(List.of(), load.errors(), "client-visible errors during the rolling restart\n" + cluster.logs());
            load.verify(cluster.server(0));
        }
        Map<ServerSpec, Long> pidsAfter = pids();
        for (ServerSpec s : cluster.config().servers()) {
            assertTrue(pidsAfter.get(s) != null && !pidsAfter.get(s).equals(pidsBefore.get(s)),
                    "node " + s.id() + " restarted: pids before " + pidsBefore + ", after " + pidsAfter + "\n" + scriptLog());
        }
        String log = Files.readString(dir.resolve("data").resolve("node-" + leaderBefore + ".log"));
        assertTrue(log.contains("handing leadership to node") || log.contains("stopped taking part in Raft"), log);
    }

    /** Runs {@code scripts/cluster ACTION --config ...} on this test's class path; its exit code. */
    private int script(Duration timeout, String... action) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("scripts/cluster").toString()));
        cmd.addAll(List.of(action));
        cmd.addAll(List.of("--config", cluster.configFile().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("cluster-script.log").toFile()));
        pb.environment().put("RAFTKV_CLASSPATH",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        pb.environment().put("RAFTKV_JAVA_OPTS",
                "-XX:+UseSerialGC -Xmx256m -XX:TieredStopAtLevel=1");
        Process p = pb.start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("scripts/cluster " + String.join(" ", action) + " took over " + timeout + ":\n"
                    + Files.readString(dir.resolve("cluster-script.log")));
        }
        return p.exitValue();
    }

    private String scriptLog() throws IOException {
        return Files.readString(dir.resolve("cluster-script.log"));
    }

    private String log() {
        try {
            return scriptLog();
        } catch (IOException e) {
            return e.toString();
        }
    }

    private Map<ServerSpec, Long> pids() throws IOException {
        Map<ServerSpec, Long> pids = new java.util.LinkedHashMap<>();
        for (ServerSpec s : cluster.config().servers()) {
            Path f = dir.resolve("data").resolve("node-" + s.id() + ".pid");
            pids.put(s, Files.exists(f) ? Long.parseLong(Files.readString(f).trim()) : null);
        }
        return pids;
    }
}
