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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.MemberChangeKind;
import raftkv.proto.kv.MemberListResponse;
import raftkv.testing.Await;

/**
 * Issue 11's acceptance run, through the scripts as a user runs them, under a 16-client write load
 * the whole time: {@code scripts/cluster up} starts nodes 0-2; nodes 3 and 4 start with --join, are
 * added as learners and promoted once caught up; {@code scripts/cluster status} shows them though the
 * config it reads names only 0-2 (membership lives in the log); nodes 0 and 1 are killed with
 * {@code kill -9} and the cluster keeps serving; they are removed; every acknowledged write is there;
 * {@code scripts/cluster rolling-restart} (SPEC 9) restarts the survivors in turn, the leader last
 * after a move-leader, and leaves the removed nodes alone. Clients see no error throughout.
 */
class RollingRestartIT {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;
    TestCluster cluster;
    Path three;

    @AfterEach
    void cleanUp() throws Exception {
        if (cluster == null) return;
        script(cluster.configFile(), Duration.ofSeconds(120), "down");
        // Whatever the script did not stop, by the pids it recorded.
        try (Stream<Path> files = Files.list(dir.resolve("data"))) {
            for (Path pidFile : files.filter(f -> f.toString().endsWith(".pid")).toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        cluster.close();
    }

    @Test
    void twoJoinTwoDieAreRemovedAndTheSurvivorsRestartInTurnWithNoClientError() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 5, "\"heartbeatMs\": 50", "\"electionTimeoutMs\": 500");
        // The config of the first three nodes: the initial membership.
        three = dir.resolve("three.json");
        Files.writeString(three, Files.readString(cluster.configFile()).lines()
                .filter(l -> !l.contains("\"Id\": 3") && !l.contains("\"Id\": 4"))
                .map(l -> l.contains("\"Id\": 2") ? l.replaceAll(",\\s*$", "") : l).collect(Collectors.joining("\n")));
        long started = System.nanoTime();
        assertEquals(0, script(three, Duration.ofSeconds(120), "up"), "scripts/cluster up");
        cluster.awaitLeader(Duration.ofSeconds(60));
        phase(started, "nodes 0-2 up");
        try (WriteLoad load = new WriteLoad(cluster.config().servers(), 16, false)) {
            load.awaitAcks(200);

            // Grow: 3 and 4 join as learners, then become voters once caught up.
            for (int id = 3; id < 5; id++) {
                Process p = cluster.start(id, cluster.configFile(), "--join");
                Files.writeString(dir.resolve("data").resolve("node-" + id + ".pid"), Long.toString(p.pid()));
                change(MemberChangeKind.MEMBER_CHANGE_KIND_ADD_LEARNER, id);
            }
            Await.until(Duration.ofSeconds(30), "learners 3 and 4 caught up", () -> {
                MemberListResponse list = MembershipIT.members(cluster.awaitLeader(Duration.ofSeconds(30)));
                return list.getMembersList().stream().filter(m -> m.getId() >= 3)
                        .filter(m -> m.getMatchKnown() && list.getLastLogIndex() - m.getMatchIndex() < 100).count() == 2;
            });
            phase(started, "learners 3 and 4 caught up");
            change(MemberChangeKind.MEMBER_CHANGE_KIND_PROMOTE, 3);
            change(MemberChangeKind.MEMBER_CHANGE_KIND_PROMOTE, 4);
            String status = scriptOutput(three, "status");
            for (int id = 3; id < 5; id++) {
                String row = "^" + id + " .*(follower|leader).*";
                assertTrue(status.lines().anyMatch(l -> l.matches(row)),
                        "scripts/cluster status with a config of nodes 0-2 shows node " + id + ":\n" + status);
            }

            // Lose two of the original nodes; the other three are a majority of five.
            assertEquals(0, script(three, Duration.ofSeconds(30), "kill", "0"));
            assertEquals(0, script(three, Duration.ofSeconds(30), "kill", "1"));
            phase(started, "nodes 0 and 1 killed");
            long afterKills = load.acks();
            load.awaitAcks(afterKills + 200);
            phase(started, "200 writes acknowledged since");

            // Shrink: remove the dead nodes.
            change(MemberChangeKind.MEMBER_CHANGE_KIND_REMOVE, 0);
            change(MemberChangeKind.MEMBER_CHANGE_KIND_REMOVE, 1);
            status = scriptOutput(cluster.configFile(), "status");
            assertTrue(status.contains("voters [2, 3, 4], learners []"), status);
            for (int id = 0; id < 2; id++) {
                String row = "^" + id + " .*down, not member.*";
                assertTrue(status.lines().anyMatch(l -> l.matches(row)), status);
            }

            phase(started, "nodes 0 and 1 removed");
            Map<Integer, Long> pidsBefore = pids();
            assertEquals(0, script(cluster.configFile(), Duration.ofSeconds(300), "rolling-restart"),
                    () -> "scripts/cluster rolling-restart\n" + log() + nodeLogs());
            long before = load.acks();
            load.awaitAcks(before + 200);
            load.finish();
            phase(started, "rolling restart done, " + load.acks() + " writes acknowledged");
            assertEquals(List.of(), load.errors(), "client-visible errors\n" + nodeLogs());
            load.verify(cluster.awaitLeader(Duration.ofSeconds(30))); // reads on the leader: no forwarding hop
            phase(started, "every acknowledged write read back");
            Map<Integer, Long> pidsAfter = pids();
            for (int id = 2; id < 5; id++) {
                assertTrue(pidsAfter.get(id) != null && !pidsAfter.get(id).equals(pidsBefore.get(id)),
                        "node " + id + " restarted: pids before " + pidsBefore + ", after " + pidsAfter + "\n" + log());
            }
            assertTrue(pidsAfter.get(0) == null && pidsAfter.get(1) == null, "the removed nodes left alone: " + pidsAfter);
            assertTrue(log().contains("node 0 is not a member; left alone"), log());
        }
        phase(started, "done");
    }

    /** The last lines of each node's logs: those of the processes the script started, and of those this test started. */
    private String nodeLogs() {
        StringBuilder sb = new StringBuilder();
        for (int id = 0; id < 5; id++) {
            for (Path f : List.of(dir.resolve("data").resolve("node-" + id + ".log"), dir.resolve("node-" + id + ".log"))) {
                try {
                    List<String> lines = Files.readAllLines(f);
                    sb.append("--- ").append(dir.relativize(f)).append('\n');
                    lines.subList(Math.max(0, lines.size() - 20), lines.size()).forEach(l -> sb.append(l).append('\n'));
                } catch (IOException e) {
                    // no such log
                }
            }
        }
        return sb.toString();
    }

    private static void phase(long started, String what) {
        System.out.printf("RollingRestartIT: %5.1f s: %s%n", (System.nanoTime() - started) / 1e9, what);
    }

    /** Makes a membership change through the leader, again if the leader changes meanwhile, until it is in force. */
    private void change(MemberChangeKind kind, int id) {
        Await.until(Duration.ofSeconds(60), kind + " " + id, () -> {
            ServerSpec leader = cluster.awaitLeader(Duration.ofSeconds(30));
            if (done(kind, id, MembershipIT.members(leader))) return true;
            try {
                MembershipIT.call(leader, MembershipIT.change(kind, cluster.server(id)));
            } catch (RuntimeException e) {
                // the leader changed or the change was refused meanwhile: look again
            }
            return done(kind, id, MembershipIT.members(leader));
        });
    }

    private static boolean done(MemberChangeKind kind, long id, MemberListResponse list) {
        var member = list.getMembersList().stream().filter(m -> m.getId() == id).findFirst();
        return switch (kind) {
            case MEMBER_CHANGE_KIND_ADD_LEARNER -> member.isPresent();
            case MEMBER_CHANGE_KIND_PROMOTE -> member.isPresent() && member.get().getVoter();
            case MEMBER_CHANGE_KIND_REMOVE -> member.isEmpty();
            default -> throw new IllegalArgumentException(kind.toString());
        };
    }

    /** Runs {@code scripts/cluster ACTION --config CONFIG}; what it printed. */
    private String scriptOutput(Path config, String... action) throws IOException, InterruptedException {
        long from = Files.exists(dir.resolve("cluster-script.log")) ? Files.size(dir.resolve("cluster-script.log")) : 0;
        assertEquals(0, script(config, Duration.ofSeconds(60), action));
        return Files.readString(dir.resolve("cluster-script.log")).substring((int) from);
    }

    /** Runs {@code scripts/cluster ACTION --config CONFIG} on this test's class path; its exit code. */
    private int script(Path config, Duration timeout, String... action) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("scripts/cluster").toString()));
        cmd.addAll(List.of(action));
        cmd.addAll(List.of("--config", config.toString()));
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

    private Map<Integer, Long> pids() throws IOException {
        Map<Integer, Long> pids = new java.util.TreeMap<>();
        for (ServerSpec s : cluster.config().servers()) {
            Path f = dir.resolve("data").resolve("node-" + s.id() + ".pid");
            pids.put(s.id(), Files.exists(f) ? Long.parseLong(Files.readString(f).trim()) : null);
        }
        return pids;
    }
}
