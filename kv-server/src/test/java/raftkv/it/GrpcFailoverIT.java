package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.it.GrpcClient.expect;
import static raftkv.it.GrpcClient.id;

import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.StatusResponse;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/**
 * kv.proto across failures, on real three-node clusters: a write retried with the same request
 * id after its leader was killed takes effect once (SPEC 7, exactly-once), and without a quorum
 * every call is UNAVAILABLE once the request timeout has passed, and may then be retried.
 */
class GrpcFailoverIT {
    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void cleanUp() throws Exception {
        if (cluster != null) cluster.close();
    }

    private static long newClientId() {
        long id;
        do {
            id = ThreadLocalRandom.current().nextLong();
        } while (id == 0);
        return id;
    }

    @Test
    void aSetRetriedThroughAnotherNodeAfterItsLeaderWasKilledTakesEffectOnce() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3);
        cluster.startAll();
        ServerSpec oldLeader = cluster.awaitStableLeader(Duration.ofSeconds(60));
        long oldTerm;
        long client = newClientId();
        long first;
        try (GrpcClient c = new GrpcClient(oldLeader)) {
            oldTerm = c.status().getTerm();
            first = c.set("once", "first attempt", id(client, 1));
        }

        cluster.kill(oldLeader.id()); // kill -9
        ServerSpec newLeader = cluster.awaitStableLeader(Duration.ofSeconds(60));
        assertTrue(newLeader.id() != oldLeader.id(), cluster.logs());
        ServerSpec follower = cluster.config().servers().stream()
                .filter(s -> s.id() != oldLeader.id() && s.id() != newLeader.id()).findFirst().orElseThrow();

        try (GrpcClient toNewLeader = new GrpcClient(newLeader); GrpcClient toFollower = new GrpcClient(follower)) {
            StatusResponse status = toNewLeader.status();
            assertTrue(status.getTerm() > oldTerm, "a new term: " + status);

            // The acknowledged write survived the leader's death.
            GetResponse survived = toFollower.get("once");
            assertEquals("first attempt", survived.getValue().toStringUtf8());
            assertEquals(first, survived.getVersion());

            // Another client writes the key in between.
            long second = toNewLeader.set("once", "another client", id(newClientId(), 1));
            assertTrue(second > first);

            // The same request again, through a node that never saw it, forwarded to a leader that
            // did not accept it: the first attempt's version, and no second write.
            assertEquals(first, toFollower.set("once", "first attempt", id(client, 1)));
            assertEquals(newLeader.logAddress(), toFollower.leaderHint());
            assertEquals(first, toNewLeader.set("once", "first attempt", id(client, 1)));

            GetMetaResponse after = toFollower.getMeta("once");
            assertEquals(second, after.getVersion(), "the retry must not overwrite the later write");
            assertEquals("another client", after.getValue().toStringUtf8());

            // The client's next write is a new one.
            long third = toFollower.set("once", "next write", id(client, 2));
            assertTrue(third > second);
            assertEquals(third, toNewLeader.get("once").getVersion());
            // And its predecessor is now too old to retry.
            expect(Code.ABORTED, () -> toNewLeader.set("once", "first attempt", id(client, 1)));
            assertEquals(third, toFollower.get("once").getVersion());
        }
    }

    @Test
    void withoutAQuorumCallsAreUnavailableAfterTheRequestTimeoutAndMayBeRetriedLater() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3, "\"requestTimeoutMs\": 2000");
        cluster.startAll();
        ServerSpec leader = cluster.awaitStableLeader(Duration.ofSeconds(60));
        List<ServerSpec> followers = cluster.config().servers().stream().filter(s -> s.id() != leader.id()).toList();
        ServerSpec survivor = followers.get(0);
        cluster.kill(leader.id());
        cluster.kill(followers.get(1).id());

        long client = newClientId();
        try (GrpcClient c = new GrpcClient(survivor, 10_000)) {
            // Status needs no quorum; wait until the survivor has given up on the dead leader.
            Await.until(Duration.ofSeconds(30), "the survivor to know no leader",
                    () -> !c.status().getLeaderKnown());
            StatusResponse status = c.status();
            assertEquals(survivor.id(), status.getNodeId());
            assertNull(c.leaderHint(), "no leader, no hint");

            long start = System.nanoTime();
            StatusRuntimeException write = expect(Code.UNAVAILABLE, () -> c.set("no-quorum", "v", id(client, 1)));
            assertTookAboutTheRequestTimeout(start, "Set with a request id");
            assertNull(GrpcClient.leaderHint(write));

            start = System.nanoTime();
            expect(Code.UNAVAILABLE, () -> c.get("no-quorum"));
            assertTookAboutTheRequestTimeout(start, "Get");

            start = System.nanoTime();
            expect(Code.UNAVAILABLE, () -> c.getMeta("no-quorum"));
            assertTookAboutTheRequestTimeout(start, "GetMeta");

            expect(Code.UNAVAILABLE, () -> c.set("no-quorum", "v", null));
            expect(Code.UNAVAILABLE, () -> c.delete("no-quorum", null));
        }
        try (TextClient text = TestCluster.textClient(survivor, 10_000)) {
            long start = System.nanoTime();
            assertEquals("ERR_TIMEOUT", text.call("get no-quorum\r\n"));
            assertTookAboutTheRequestTimeout(start, "text get");
        }

        // Bring the quorum back: the write whose outcome was unknown is retried with its id and
        // takes effect once (UNAVAILABLE is not remembered; the write never reached a log).
        cluster.start(leader.id());
        cluster.start(followers.get(1).id());
        cluster.awaitStableLeader(Duration.ofSeconds(60));
        try (GrpcClient c = new GrpcClient(survivor, 10_000)) {
            long v = c.set("no-quorum", "v", id(client, 1));
            assertEquals(v, c.set("no-quorum", "v", id(client, 1)));
            GetResponse r = c.get("no-quorum");
            assertEquals(v, r.getVersion());
            assertEquals("v", r.getValue().toStringUtf8());
        }
    }

    private static void assertTookAboutTheRequestTimeout(long startNanos, String what) {
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        assertTrue(ms >= 1_950 && ms < 8_000, what + " answered after " + ms + " ms; the request timeout is 2000 ms");
    }
}
