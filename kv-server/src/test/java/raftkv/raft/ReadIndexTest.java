package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.append;
import static raftkv.raft.Fixtures.only;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.VoteRequest;
import raftkv.raft.Message.VoteResponse;

/** Raft thesis §6.4: linearizable reads without writing to the log (ReadIndex). */
class ReadIndexTest {

    /** Node 1 elected leader of three by hand; its first AppendEntries (with the no-op) are still undelivered. */
    static Cluster electedWithNoopPending() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        PaperElectionTest.ticksUntilCampaign(c.node(1));
        c.flush(m -> m instanceof VoteRequest || m instanceof VoteResponse);
        assertEquals(Role.LEADER, c.node(1).role());
        return c;
    }

    // §6.4: only the leader serves ReadIndex; a follower or candidate refuses the read at once.
    @Test
    void readOnNonLeaderReturnsFalse() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        TestNode follower = c.node(2);
        TestNode candidate = PaperTermTest.inRole(Role.CANDIDATE);

        assertFalse(follower.readIndex(1));
        assertFalse(candidate.readIndex(1));
        assertTrue(follower.ready().readStates().isEmpty());
    }

    // §6.4: the leader releases a read only after a majority acknowledges a message it sent after the read arrived.
    @Test
    void readReleasedOnlyAfterQuorumAcksMessageSentAfterRead() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        c.tickAll(1);
        leader.elapse(1);
        AppendRequest sentBefore = only(AppendRequest.class, 2, leader.takeSent()).get(0);

        assertTrue(leader.readIndex(7));
        Ready r = leader.ready();
        AppendRequest sentAfter = only(AppendRequest.class, 2, r.messages()).get(0);
        leader.takeSent();
        assertTrue(r.readStates().isEmpty());
        assertTrue(sentAfter.entries().isEmpty(), "the read is confirmed by a heartbeat, not a log write");
        assertTrue(sentAfter.readSeq() > sentBefore.readSeq());

        c.roundTrip(sentBefore);
        assertTrue(leader.readStates().isEmpty(), "an answer to a message sent before the read proves nothing");
        c.roundTrip(sentAfter);

        assertEquals(List.of(new ReadState(7, 1)), leader.readStates(), "leader + node 2 is a majority; index = commit at the read");
    }

    // §6.4: a new leader holds reads until it has committed an entry of its own term (its no-op).
    @Test
    void readsWaitForLeaderToCommitEntryOfItsTerm() {
        Cluster c = electedWithNoopPending();
        TestNode leader = c.node(1);

        assertTrue(leader.readIndex(9));
        leader.elapse(1);
        c.flush(m -> !(m instanceof AppendRequest a) || a.entries().isEmpty()); // heartbeats answered, no-op held back
        assertEquals(0, leader.commit());
        assertTrue(leader.readStates().isEmpty(), "a majority answered, but commitIndex may still be stale");

        c.flush();

        assertEquals(1, leader.commit());
        assertEquals(List.of(new ReadState(9, 1)), leader.readStates());
    }

    // §6.4: reads that arrive before the next message share one round of heartbeats and are released in order.
    @Test
    void readsInOneRoundShareOneHeartbeat() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);

        leader.readIndex(1);
        leader.readIndex(2);
        List<AppendRequest> beats = only(AppendRequest.class, 2, leader.ready().messages());
        leader.takeSent();
        assertEquals(1, beats.size());
        c.roundTrip(beats.get(0));

        assertEquals(List.of(new ReadState(1, 1), new ReadState(2, 1)), leader.readStates());
    }

    // §6.4: a single-server leader is its own majority: a read is released at once.
    @Test
    void singleNodeLeaderReleasesReadAtOnce() {
        TestNode n = TestNode.fresh(Opts.THESIS.config(1, List.of(1L)));
        PaperElectionTest.ticksUntilCampaign(n);

        assertTrue(n.readIndex(3));
        Ready r = n.ready();

        assertEquals(List.of(new ReadState(3, 1)), r.readStates());
    }

    // §6.4: a leader that steps down before confirming its reads reports them as dropped, for the client to retry.
    @Test
    void leaderThatStepsDownReportsPendingReadsAsDropped() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        leader.readIndex(4);
        leader.ready();

        leader.step(append(2, 1, 2, 0, 0, List.of(), 0));
        Ready r = leader.ready();

        assertEquals(Role.FOLLOWER, leader.role());
        assertEquals(List.of(4L), r.droppedReads());
        assertTrue(leader.readStates().isEmpty());
    }

    // §6.4: reads still waiting for the new leader's first commit are dropped too when it steps down.
    @Test
    void leaderThatStepsDownDropsReadsAwaitingTermCommit() {
        Cluster c = electedWithNoopPending();
        TestNode leader = c.node(1);
        leader.readIndex(5);
        leader.readIndex(6);
        leader.ready();

        leader.step(append(2, 1, 2, 0, 0, List.of(), 0));
        Ready r = leader.ready();

        assertEquals(List.of(5L, 6L), r.droppedReads());
    }
}
