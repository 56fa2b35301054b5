package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.StatusResponse;
import raftkv.testing.Await;

/**
 * Snapshots on real processes: a node that was down while the log moved past what the others
 * keep catches up through InstallSnapshot; a node whose data folder is gone rejoins the same way;
 * under overwrites a node's folder stays bounded by its live data, not its history.
 *
 * <p>To prove a node's state machine (not its leader's) holds the data, a read goes through it
 * after leadership is handed to it: followers forward reads, leaders serve their own.
 */
class SnapshotIT {
    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void cleanUp() {
        if (cluster != null) cluster.close();
    }

    @Test
    void nodeDownDuring200000SetsCatchesUpThroughInstallSnapshot() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 5, "\"snapshotEntries\": 10000", "\"testFaultInjection\": true");
        cluster.startAll();
        cluster.awaitStableLeader(Duration.ofSeconds(60));
        cluster.kill(4);

        long[] versions = PipelinedSets.run(cluster.server(0), 200_000, 8, i -> "k" + i, i -> "v" + i);
        StatusResponse leaderAfterLoad = TestCluster.status(cluster.awaitStableLeader(Duration.ofSeconds(30)));

        cluster.start(4);
        Await.until(Duration.ofSeconds(120), "node 4 applying everything the load committed",
                () -> TestCluster.appliedIndex(cluster.server(4)) >= leaderAfterLoad.getCommitIndex());
        assertTrue(logOf(4).contains("installed the leader's snapshot"), "node 4 caught up without a snapshot:\n" + cluster.logs());

        List<Integer> sample = sample(200_000, 500);
        assertVersions(cluster.server(0), "k", sample, versions);
        cluster.makeLeader(4);
        assertVersions(cluster.server(4), "k", sample, versions);
    }

    // The node is wiped while the cluster is idle: nothing new to replicate, so only the leader's
    // noticing that the node lost what it had acknowledged brings it back.
    @Test
    void nodeWithItsDataFolderDeletedRejoinsAndServesTheSameData() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3, "\"snapshotEntries\": 2000", "\"testFaultInjection\": true");
        cluster.startAll();
        ServerSpec leader = cluster.awaitStableLeader(Duration.ofSeconds(60));
        int victim = (leader.id() + 1) % 3;

        long[] first = PipelinedSets.run(cluster.server(leader.id()), 20_000, 4, i -> "key" + i, i -> "first" + i);
        long commit = TestCluster.status(cluster.awaitStableLeader(Duration.ofSeconds(30))).getCommitIndex();
        Await.until(Duration.ofSeconds(60), "node " + victim + " holding the load",
                () -> TestCluster.appliedIndex(cluster.server(victim)) >= commit);
        cluster.kill(victim);
        TestCluster.deleteRecursively(cluster.config().nodeDir(victim));

        cluster.start(victim);
        Await.until(Duration.ofSeconds(120), "node " + victim + " catching up from nothing",
                () -> TestCluster.appliedIndex(cluster.server(victim)) >= commit);
        assertTrue(logOf(victim).contains("installed the leader's snapshot"), cluster.logs());
        long[] second = PipelinedSets.run(cluster.server(leader.id()), 10_000, 4, i -> "key" + i, i -> "second" + i);

        long[] expected = first.clone();
        System.arraycopy(second, 0, expected, 0, second.length);
        cluster.makeLeader(victim);
        List<Integer> sample = sample(20_000, 400);
        assertVersions(cluster.server(victim), "key", sample, expected);
        try (GrpcClient c = new GrpcClient(cluster.server(victim))) {
            assertEquals("second7", c.get("key7").getValue().toStringUtf8());
            assertEquals("first15000", c.get("key15000").getValue().toStringUtf8());
        }
    }

    @Test
    void afterKillingEveryNodeEachRestartsFromItsNewestSnapshotPlusTheLogAfterIt() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3, "\"snapshotEntries\": 1000", "\"testFaultInjection\": true");
        cluster.startAll();
        ServerSpec leader = cluster.awaitStableLeader(Duration.ofSeconds(60));
        long[] versions = PipelinedSets.run(leader, 5_500, 4, i -> "k" + i, i -> "v" + i);
        for (int id = 0; id < 3; id++) cluster.kill(id);

        cluster.startAll();
        cluster.awaitStableLeader(Duration.ofSeconds(60));
        for (int id = 0; id < 3; id++) {
            String started = logOf(id).lines().filter(l -> l.contains("started:")).reduce((a, b) -> b).orElseThrow();
            Matcher m = Pattern.compile("snapshot at entry (\\d+) with (\\d+) keys").matcher(started);
            assertTrue(m.find(), started);
            assertTrue(Long.parseLong(m.group(1)) >= 1000 && Long.parseLong(m.group(2)) > 0,
                    "node " + id + " restarted without its snapshot: " + started);
        }
        List<Integer> every = new ArrayList<>();
        for (int i = 0; i < 5_500; i++) every.add(i);
        for (int id = 0; id < 3; id++) {
            cluster.makeLeader(id);
            assertVersions(cluster.server(id), "k", every, versions);
        }
    }

    // With snapshotEntries at 10000 and 9,600 overwrites of 4 KB values, the entry count never
    // triggers a snapshot: only the byte trigger (a quarter of the live data, an eighth of a segment)
    // keeps the log, 38 MB in all, from piling up.
    @Test
    void dataFolderStaysUnderThreeTimesTheLiveDataPlusOneSegmentUnderOverwrites() throws Exception {
        int segmentBytes = 4 << 20;
        cluster = TestCluster.onLocalhost(dir, 3, "\"snapshotEntries\": 10000", "\"walSegmentBytes\": " + segmentBytes);
        cluster.startAll();
        ServerSpec leader = cluster.awaitStableLeader(Duration.ofSeconds(60));

        int keys = 100;
        String value = "x".repeat(4000);
        long liveBytes = 0;
        for (int k = 0; k < keys; k++) liveBytes += ("hot" + k).length() + value.length();
        long bound = 3 * liveBytes + segmentBytes;
        long largest = 0;
        for (int round = 0; round < 12; round++) {
            PipelinedSets.run(cluster.server(leader.id()), 8 * keys, 4, i -> "hot" + (i % keys), i -> value);
            for (int id = 0; id < 3; id++) {
                long size = TestCluster.folderBytes(cluster.config().nodeDir(id));
                largest = Math.max(largest, size);
                assertTrue(size < bound, "node " + id + " holds " + size + " bytes after round " + round
                        + ", over 3 x " + liveBytes + " live bytes + a " + segmentBytes + "-byte segment");
            }
        }
        System.out.printf("largest data folder: %d bytes; bound %d (live data %d)%n", largest, bound, liveBytes);
    }

    // ------------------------------------------------------------------ helpers

    private static List<Integer> sample(int n, int count) {
        SplittableRandom random = new SplittableRandom(42);
        List<Integer> keys = new ArrayList<>(List.of(0, n - 1));
        for (int i = 0; i < count; i++) keys.add(random.nextInt(n));
        return keys;
    }

    /** getm (gRPC GetMeta) of each sampled key through {@code server} shows the version its set got. */
    private static void assertVersions(ServerSpec server, String prefix, List<Integer> sample, long[] versions) {
        try (GrpcClient c = new GrpcClient(server)) {
            for (int i : sample) {
                assertEquals(versions[i], c.getMeta(prefix + i).getVersion(),
                        "version of " + prefix + i + " through node " + server.id());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String logOf(int id) throws IOException {
        return Files.readString(cluster.log(id));
    }
}
