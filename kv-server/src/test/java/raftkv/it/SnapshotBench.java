package raftkv.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.StatusResponse;
import raftkv.testing.Await;

/**
 * Measures what snapshots cost and buy on real processes (scripts/snapshot-bench): a 3-node
 * cluster in a temporary folder is loaded with N distinct keys, then
 * <ol>
 *   <li>a follower is restarted (SIGTERM, start): the time until it serves again, caught up;
 *   <li>a follower's data folder is deleted and it is started empty: the time until it has
 *       caught up, which is mostly the leader shipping its snapshot (InstallSnapshot);
 * </ol>
 * and, as the baseline measured in the same run on the same machine, the restart of a follower
 * of an empty cluster (JVM start and election). Numbers go to stdout; node logs stay in the folder.
 *
 * <p>{@code SnapshotBench [--keys N] [--value-size B] [--snapshot-entries E] [--fsync true|false]}
 */
public final class SnapshotBench {
    private SnapshotBench() {}

    public static void main(String[] args) throws Exception {
        int keys = 1_000_000;
        int valueSize = 100;
        int snapshotEntries = 100_000;
        boolean fsync = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--keys" -> keys = Integer.parseInt(args[++i]);
                case "--value-size" -> valueSize = Integer.parseInt(args[++i]);
                case "--snapshot-entries" -> snapshotEntries = Integer.parseInt(args[++i]);
                case "--fsync" -> fsync = Boolean.parseBoolean(args[++i]);
                default -> {
                    System.err.println("usage: snapshot-bench [--keys N] [--value-size B] [--snapshot-entries E] [--fsync true|false]");
                    System.exit(2);
                }
            }
        }
        Path dir = Files.createTempDirectory("raftkv-snapshot-bench");
        System.out.printf("cluster of 3 in %s; %d keys of %d-byte values; snapshotEntries %d; fsync %s%n",
                dir, keys, valueSize, snapshotEntries, fsync);
        try (TestCluster cluster = TestCluster.onLocalhost(dir, 3, "\"snapshotEntries\": " + snapshotEntries,
                "\"fsync\": " + fsync)) {
            cluster.startAll();
            ServerSpec leader = cluster.awaitStableLeader(Duration.ofSeconds(60));
            int follower = (leader.id() + 1) % 3;

            double baseline = restartSeconds(cluster, follower);
            System.out.printf("baseline: restart of a follower of an empty cluster: %.2f s%n", baseline);

            String value = "v".repeat(valueSize);
            long start = System.nanoTime();
            PipelinedSets.run(leader, keys, 8, i -> "key" + i, i -> value);
            double loadSeconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("load: %d sets in %.1f s (%.0f sets/s)%n", keys, loadSeconds, keys / loadSeconds);
            long commit = TestCluster.status(cluster.awaitStableLeader(Duration.ofSeconds(30))).getCommitIndex();
            Await.until(Duration.ofMinutes(5), "every node applying the load",
                    () -> cluster.config().servers().stream().allMatch(s -> TestCluster.appliedIndex(s) >= commit));
            System.out.printf("data folder of node %d: %d bytes%n", follower, TestCluster.folderBytes(cluster.config().nodeDir(follower)));

            double restart = restartSeconds(cluster, follower);
            System.out.printf("restart of a follower holding %d keys: %.2f s (%.1fx the baseline)%n", keys, restart,
                    restart / baseline);

            cluster.kill(follower);
            TestCluster.deleteRecursively(cluster.config().nodeDir(follower));
            start = System.nanoTime();
            cluster.start(follower);
            long target = TestCluster.status(cluster.awaitStableLeader(Duration.ofSeconds(30))).getCommitIndex();
            Await.until(Duration.ofMinutes(10), "the emptied follower catching up",
                    () -> TestCluster.appliedIndex(cluster.server(follower)) >= target);
            double ship = (System.nanoTime() - start) / 1e9;
            System.out.printf("empty follower caught up through InstallSnapshot in %.2f s (%.1fx the baseline restart)%n",
                    ship, ship / baseline);
            for (ServerSpec s : cluster.config().servers()) {
                try (Stream<String> lines = Files.lines(cluster.log(s.id()))) {
                    lines.filter(l -> l.contains("snapshot") && (l.contains(" sent ") || l.contains("installed")
                            || l.contains("received") || l.contains("started:")))
                            .forEach(l -> System.out.println("  node " + s.id() + ": " + l));
                }
            }
        }
    }

    /** SIGTERM then start of node {@code id}; seconds until it answers Status with everything applied. */
    private static double restartSeconds(TestCluster cluster, int id) throws Exception {
        cluster.stop(id);
        long start = System.nanoTime();
        cluster.start(id);
        Await.until(Duration.ofMinutes(5), "node " + id + " back and caught up", () -> {
            StatusResponse own;
            try {
                own = TestCluster.status(cluster.server(id));
            } catch (RuntimeException notUpYet) {
                return false;
            }
            return own.getLeaderKnown() && own.getAppliedIndex() >= own.getCommitIndex() && own.getCommitIndex() > 0;
        });
        return (System.nanoTime() - start) / 1e9;
    }
}
