package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.testing.Await;

/**
 * A snapshot streams between nodes over mutual TLS (SPEC section 8): the leader's InstallSnapshot
 * stream, on its own certificate, passes the peer identity check of a follower whose data folder
 * was wiped, and the follower catches up.
 */
class TlsSnapshotIT {
    @TempDir
    Path dir;
    private TestCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void aWipedFollowerCatchesUpThroughInstallSnapshotOverTls() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3, "\"fsync\": false", "\"snapshotEntries\": 500").useTls(false, false);
        cluster.startAll();
        ServerSpec leader = cluster.awaitStableLeader(Duration.ofSeconds(60));
        int victim = (leader.id() + 1) % 3;
        cluster.kill(victim);
        TestCluster.deleteRecursively(cluster.config().nodeDir(victim));
        PipelinedSets.run(leader, 3_000, 2, i -> "k" + i, i -> "v" + i); // the text protocol is plaintext here
        long commit = cluster.appliedIndex(leader.id());

        cluster.start(victim);
        Await.until(Duration.ofSeconds(60), "node " + victim + " applying entry " + commit,
                () -> cluster.appliedIndex(victim) >= commit);
        String log = Files.readString(cluster.log(victim));
        assertTrue(log.contains("installed the leader's snapshot"), log);
        for (ServerSpec s : cluster.config().servers()) {
            String l = Files.readString(cluster.log(s.id()));
            assertTrue(!l.contains("peer call from"), "no peer call refused on node " + s.id() + ":\n" + l);
        }
    }
}
