package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.kv.RequestId;
import raftkv.raft.Message;

/**
 * Reads served by followers (thesis 6.4) on three {@link NodeStep}s wired by an in-memory network:
 * a follower answers a read from its own state machine, but only once it has applied up to the
 * index its leader confirmed; a read it cannot get confirmed comes back as not executed, for the
 * service to retry.
 */
class NodeStepFollowerReadTest {
    private static final ByteString KEY = ByteString.copyFromUtf8("k");

    @TempDir
    Path tmp;

    private static KvRequest set(String value) {
        return new KvRequest.Set(KEY, ByteString.copyFromUtf8(value), 0, RequestId.NONE);
    }

    private static String value(NodeStep.Outcome outcome) {
        KvResult r = assertInstanceOf(NodeStep.Outcome.Done.class, outcome).result();
        return assertInstanceOf(KvResult.Found.class, r).value().toStringUtf8();
    }

    @Test
    void aFollowerServesAReadOnlyOnceItHasAppliedTheLeadersReadIndex() throws IOException {
        StepCluster c = new StepCluster(tmp, 1, List.of(Clock.SYSTEM, Clock.SYSTEM, Clock.SYSTEM));
        NodeStep leader = c.awaitLeader();
        c.submit(leader, set("a")).join();
        NodeStep follower = c.steps.stream().filter(s -> s != leader).findFirst().orElseThrow();
        long before = follower.status().appliedIndex();

        // The follower misses the next write, which the leader commits with the other follower.
        c.down.add(follower.id());
        assertInstanceOf(NodeStep.Outcome.Done.class, c.submit(leader, set("b")).join());
        c.down.remove(follower.id());
        long written = leader.status().appliedIndex();
        assertTrue(written > before);

        // A read on the follower: the leader confirms the index of "b", which the follower lacks.
        CompletableFuture<NodeStep.Outcome> read = c.submit(follower, new KvRequest.Get(KEY));
        assertFalse(read.isDone(), "answered before applying up to the read index: it would return \"a\"");
        assertTrue(follower.status().appliedIndex() < written, "the follower still lacks \"b\"");
        assertEquals(1, follower.status().readIndexRequests());
        assertEquals(0, leader.status().readIndexRequests(), "the leader confirmed it for the follower, not as a read of its own");

        // The leader's next heartbeat finds the follower behind and sends it "b"; the read is then served locally.
        c.tick(2);
        assertTrue(read.isDone());
        assertEquals("b", value(read.join()));
        assertEquals(1, follower.followerReadsServed());
        assertEquals(0, leader.followerReadsServed());
    }

    @Test
    void concurrentFollowerReadsShareOneReadIndexRequest() throws IOException {
        StepCluster c = new StepCluster(tmp, 2, List.of(Clock.SYSTEM, Clock.SYSTEM, Clock.SYSTEM));
        NodeStep leader = c.awaitLeader();
        c.submit(leader, set("a")).join();
        NodeStep follower = c.steps.stream().filter(s -> s != leader).findFirst().orElseThrow();

        CompletableFuture<NodeStep.Outcome> first = new CompletableFuture<>();
        CompletableFuture<NodeStep.Outcome> second = new CompletableFuture<>();
        follower.submit(new KvRequest.Get(KEY), first, Long.MAX_VALUE);
        follower.submit(new KvRequest.GetMeta(KEY), second, Long.MAX_VALUE);
        follower.handleReady();
        assertEquals(1, c.wire.stream().filter(m -> m instanceof Message.ReadIndexRequest).count());
        c.run();

        assertEquals("a", value(first.join()));
        assertInstanceOf(KvResult.Found.class, assertInstanceOf(NodeStep.Outcome.Done.class, second.join()).result());
        assertEquals(2, follower.followerReadsServed());
    }

    @Test
    void aFollowerReadTheLeaderNeverConfirmsIsNotExecutedAndMayBeRetried() throws IOException {
        StepCluster c = new StepCluster(tmp, 3, List.of(Clock.SYSTEM, Clock.SYSTEM, Clock.SYSTEM));
        NodeStep leader = c.awaitLeader();
        c.submit(leader, set("a")).join();
        NodeStep follower = c.steps.stream().filter(s -> s != leader).findFirst().orElseThrow();

        // The leader dies with the request: no answer comes, and the follower never serves it unconfirmed.
        c.down.add(leader.id());
        CompletableFuture<NodeStep.Outcome> read = c.submit(follower, new KvRequest.Get(KEY));
        c.tick(5);
        assertFalse(read.isDone());
        c.tick(30);
        assertInstanceOf(NodeStep.Outcome.NotExecuted.class, read.join(), "dropped: the service sends it again");
        assertEquals(0, follower.followerReadsServed());
    }
}
