package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.kv.RequestId;
import raftkv.raft.Message;
import raftkv.raft.Role;

/**
 * Graceful stop (SPEC 2) on three {@link NodeStep}s wired by an in-memory network, with no thread:
 * a stopping follower answers and sends nothing, so it never counts towards a quorum; a stopping
 * leader hands over, parks the commands that reach it meanwhile and then sends them to its
 * successor.
 */
class NodeStepGracefulStopTest {
    private static final ByteString KEY = ByteString.copyFromUtf8("k");

    @TempDir
    Path tmp;

    private static KvRequest set(String value) {
        return new KvRequest.Set(KEY, ByteString.copyFromUtf8(value), 0, RequestId.NONE);
    }

    @Test
    void aStoppingFollowerAnswersNoHeartbeatSoTheLeaderLosesItsQuorum() throws IOException {
        StepCluster c = new StepCluster(tmp, 1, List.of(Clock.SYSTEM, Clock.SYSTEM, Clock.SYSTEM));
        NodeStep leader = c.awaitLeader();
        assertInstanceOf(KvResult.Written.class,
                assertInstanceOf(NodeStep.Outcome.Done.class, c.submit(leader, set("a")).join()).result());
        List<NodeStep> followers = c.steps.stream().filter(s -> s != leader).toList();

        // One follower is killed outright, the other gets SIGTERM: as the signal handler does.
        c.down.add(followers.get(0).id());
        NodeStep stopping = followers.get(1);
        stopping.requestStop();
        CompletableFuture<Void> silenced = stopping.beginStop();
        stopping.handleReady();
        assertTrue(silenced.isDone(), "a follower is silent at once");
        assertTrue(stopping.silent());

        // A read needs a quorum of heartbeat acks; the stopping node must not give one.
        CompletableFuture<NodeStep.Outcome> read = c.submit(leader, new KvRequest.Get(KEY));
        c.tick(5);
        assertFalse(read.isDone(), "a read was served with only a stopping node to confirm it");
        assertTrue(c.refused.stream().anyMatch(m -> m.to() == stopping.id() && m instanceof Message.AppendRequest),
                "the stopping node refused the leader's heartbeats");

        // It sends nothing either: however long it waits, it never campaigns.
        long termBefore = stopping.status().raft().term();
        c.tick(100);
        assertEquals(termBefore, stopping.status().raft().term());
        // Commands handed to it go to the leader it knew.
        NodeStep.Outcome outcome = c.submit(stopping, set("b")).join();
        assertEquals(leader.id(), assertInstanceOf(NodeStep.Outcome.NotExecuted.class, outcome).leaderHint());
    }

    @Test
    void aLeaderDeposedBeforeItsLoopHeardOfTheSignalAcknowledgesNothing() throws IOException {
        StepCluster c = new StepCluster(tmp, 3, List.of(Clock.SYSTEM, Clock.SYSTEM, Clock.SYSTEM));
        NodeStep old = c.awaitLeader();
        c.submit(old, set("a")).join();
        // Cut off, the old leader misses its successor's election: its last Ready still says it leads.
        c.down.add(old.id());
        NodeStep successor = c.awaitLeader();
        assertTrue(successor != old);
        assertEquals(old.id(), old.knownLeader());

        // SIGTERM: the handler cannot silence a node that led at its last Ready (it hands over first).
        old.requestStop();
        assertFalse(old.silent());
        c.down.remove(old.id());
        NodeStep third = c.steps.stream().filter(s -> s != old && s != successor).findFirst().orElseThrow();
        c.down.add(third.id());
        c.refused.clear();

        // The successor's appends depose it; it must not acknowledge them, or its successor would count
        // a node that is stopping towards its quorums.
        CompletableFuture<NodeStep.Outcome> read = c.submit(successor, new KvRequest.Get(KEY));
        c.tick(3);
        assertTrue(c.refused.stream().anyMatch(m -> m.to() == old.id() && m instanceof Message.AppendRequest),
                "the stopping node refused its successor's appends");
        assertFalse(read.isDone() && read.join() instanceof NodeStep.Outcome.Done,
                "a read was served with a stopping node in its quorum");
    }

    @Test
    void aStoppingLeaderHandsOverAndSendsWhatArrivedMeanwhileToItsSuccessor() throws IOException {
        StepCluster c = new StepCluster(tmp, 2, List.of(Clock.SYSTEM, Clock.SYSTEM, Clock.SYSTEM));
        NodeStep leader = c.awaitLeader();
        long term = leader.status().raft().term();
        c.submit(leader, set("a")).join();

        // The signal handler's thread asks first; a read that arrives before the loop hears of it
        // is not served from a quorum the node is leaving: it waits for the successor.
        leader.requestStop();
        CompletableFuture<NodeStep.Outcome> early = c.submit(leader, new KvRequest.Get(KEY));
        assertFalse(early.isDone());
        CompletableFuture<Void> silenced = leader.beginStop();
        // Commands that reach it before it has handed over wait: neither executed nor refused.
        CompletableFuture<NodeStep.Outcome> write = new CompletableFuture<>();
        leader.submit(set("b"), write, Long.MAX_VALUE);
        CompletableFuture<NodeStep.Outcome> read = new CompletableFuture<>();
        leader.submit(new KvRequest.Get(KEY), read, Long.MAX_VALUE);
        assertFalse(write.isDone());
        assertFalse(read.isDone());

        leader.handleReady();
        c.run();
        assertTrue(silenced.isDone(), "the leader handed over and went silent");
        NodeStep successor = c.steps.stream().filter(s -> s.status().raft().role() == Role.LEADER).findFirst().orElseThrow();
        assertTrue(successor != leader);
        assertEquals(term + 1, successor.status().raft().term(), "leadership moved by TimeoutNow, not by an election timeout");
        assertEquals(successor.id(), assertInstanceOf(NodeStep.Outcome.NotExecuted.class, write.join()).leaderHint());
        assertEquals(successor.id(), assertInstanceOf(NodeStep.Outcome.NotExecuted.class, read.join()).leaderHint());
        assertEquals(successor.id(), assertInstanceOf(NodeStep.Outcome.NotExecuted.class, early.join()).leaderHint());

        // The old leader is out for good: it refuses its successor's appends and never campaigns.
        c.refused.clear();
        c.tick(100);
        assertTrue(c.refused.stream().anyMatch(m -> m.to() == leader.id()));
        assertEquals(Role.LEADER, successor.status().raft().role());
        assertEquals(term + 1, successor.status().raft().term());
    }

    @Test
    void aLeaderWithoutAFollowerToHandOverToGoesSilentWhenTheTransferIsGivenUp() throws IOException {
        StepCluster c = new StepCluster(tmp, 3, List.of(Clock.SYSTEM, Clock.SYSTEM, Clock.SYSTEM));
        NodeStep leader = c.awaitLeader();
        // Both followers are unreachable: no TimeoutNow can be sent. The core gives the transfer up
        // after an election timeout; the node stops anyway.
        c.steps.stream().filter(s -> s != leader).forEach(s -> c.down.add(s.id()));
        CompletableFuture<NodeStep.Outcome> lost = c.submit(leader, set("lost")); // never committed
        CompletableFuture<Void> silenced = leader.beginStop();
        leader.handleReady();
        c.tick(5);
        assertFalse(silenced.isDone());
        c.tick(30);
        assertTrue(silenced.isDone());
        // It may yet commit under another leader: its outcome is unknown, which the service retries
        // only where a request id makes that safe.
        assertInstanceOf(KvResult.Unavailable.class,
                assertInstanceOf(NodeStep.Outcome.Done.class, lost.join()).result());
        AtomicReference<NodeStep.Outcome> after = new AtomicReference<>();
        c.submit(leader, new KvRequest.Get(KEY)).thenAccept(after::set);
        assertInstanceOf(NodeStep.Outcome.NotExecuted.class, after.get());
        assertNull(c.wire.peekFirst());
    }
}
