package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.append;
import static raftkv.raft.Fixtures.entry;
import static raftkv.raft.Fixtures.heartbeat;
import static raftkv.raft.Fixtures.log;
import static raftkv.raft.Fixtures.vote;
import static raftkv.raft.RaftCore.NONE;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.SnapshotRequest;
import raftkv.raft.Message.SnapshotResponse;
import raftkv.raft.Message.TimeoutNow;

/**
 * Bad input from a peer (issue 10, item 7): a message that no correct peer of this cluster can
 * send is refused with a reason, changes nothing in the core (not its term, log, role or leader),
 * and is answered by nobody. The core's own broken invariants, by contrast, throw.
 */
class PeerRefusalTest {

    /** Steps {@code m}, checks it was refused, and that the core has nothing to persist or send. */
    private static StepResult.Refused refused(TestNode n, Message m) {
        Status before = n.status();
        StepResult r = n.core().step(m);
        StepResult.Refused refusal = assertInstanceOf(StepResult.Refused.class, r, "stepping " + m);
        assertEquals(m.from(), refusal.from());
        Ready ready = n.ready();
        assertNull(ready.hardState(), "a refused message changes no term or vote");
        assertTrue(ready.entries().isEmpty() && ready.messages().isEmpty() && ready.committedEntries().isEmpty(),
                "a refused message appends, sends and commits nothing: " + ready);
        assertEquals(before, n.status());
        return refusal;
    }

    private static Cluster threeWithLeader1() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        return c;
    }

    // Raft paper 5.2, Election Safety: a leader that hears of another leader in its own term refuses it
    // (it used to halt the node with "two leaders").
    @Test
    void leaderRefusesAnotherLeaderOfItsTerm() {
        Cluster c = threeWithLeader1();
        TestNode leader = c.node(1);
        long t = leader.term();

        StepResult.Refused r = refused(leader, heartbeat(2, 1, t, 0, 0, 0));
        assertTrue(r.reason().contains("second leader in term " + t), r.reason());
        refused(leader, new SnapshotRequest(3, 1, t, new SnapshotMeta(1, t)));
        refused(leader, new TimeoutNow(2, 1, t));
        assertEquals(Role.LEADER, leader.role());
    }

    @Test
    void followerRefusesASecondLeaderOfTheTermItFollows() {
        Cluster c = threeWithLeader1();
        TestNode follower = c.node(2);
        long t = follower.term();
        assertEquals(1, follower.leader());

        refused(follower, heartbeat(3, 2, t, 1, t, 1));
        refused(follower, new TimeoutNow(3, 2, t));
        assertEquals(1, follower.leader());

        // The real leader is still followed.
        assertSame(StepResult.TAKEN, follower.core().step(heartbeat(1, 2, t, 1, t, 1)));
    }

    // Issue 10: one AppendEntries with term 2^63 - 1 once wedged a whole cluster.
    @Test
    void termAboveTheBoundIsRefusedAndNotAdopted() {
        TestNode n = TestNode.fresh(Opts.THESIS.config(1, THREE));
        refused(n, heartbeat(2, 1, Long.MAX_VALUE, 0, 0, 0));
        refused(n, vote(2, 1, RaftCore.MAX_TERM + 1, 0, 0));
        assertEquals(0, n.term());

        assertSame(StepResult.TAKEN, n.core().step(vote(2, 1, RaftCore.MAX_TERM, 0, 0)), "the bound itself is allowed");
    }

    // Raft paper 5.4, Leader Completeness: a leader holds every committed entry, so it never sends one
    // that differs, whatever its term.
    @Test
    void appendThatContradictsACommittedEntryIsRefused() {
        TestNode n = TestNode.restored(Opts.THESIS.config(1, THREE), new HardState(2, NONE), log(1, 2, 2));
        n.step(append(2, 1, 2, 3, 2, List.of(), 2)).ready(); // commit 2
        assertEquals(2, n.commit());
        n.takeSent();

        // A higher term, entries that rewrite index 2: refused, and the term is not adopted either.
        refused(n, append(3, 1, 5, 1, 1, List.of(entry(2, 4), entry(3, 4)), 3));
        // prev_log_term contradicting the committed entry at prev_log_index.
        refused(n, append(3, 1, 5, 2, 1, List.of(entry(3, 5)), 3));
        // A snapshot whose last entry contradicts a committed one.
        refused(n, new SnapshotRequest(3, 1, 5, new SnapshotMeta(2, 1)));
        assertEquals(List.of(1L, 2L, 2L), n.logTerms());
        assertEquals(2, n.term());

        // An uncommitted entry may still be replaced by a later leader (Raft paper 5.3).
        assertSame(StepResult.TAKEN, n.core().step(append(3, 1, 5, 2, 2, List.of(entry(3, 5)), 2)));
        n.ready();
        assertEquals(List.of(1L, 2L, 5L), n.logTerms());
    }

    // A follower acknowledges only what its leader sent it, from the leader's own log.
    @Test
    void leaderRefusesAnAcknowledgementBeyondItsLog() {
        Cluster c = threeWithLeader1();
        TestNode leader = c.node(1);
        long t = leader.term();
        long last = leader.lastIndex();
        long commit = leader.commit();

        refused(leader, new AppendResponse(2, 1, t, true, last + 100, 0, 0, 0, 0));
        refused(leader, new SnapshotResponse(3, 1, t, last + 1));
        assertEquals(commit, leader.commit());
    }

    // Thesis 6.4: a read round is confirmed only by answers to heartbeats that carried it.
    @Test
    void leaderRefusesAnAcknowledgementOfAReadRoundItNeverStarted() {
        Cluster c = threeWithLeader1();
        TestNode leader = c.node(1);
        long t = leader.term();
        leader.readIndex(7);
        leader.ready(); // round 1 goes out; nobody answers it

        refused(leader, new AppendResponse(2, 1, t, true, leader.lastIndex(), 0, 0, 0, 2));
        assertTrue(leader.readStates().isEmpty(), "the read is not confirmed by a forged round");
    }

    @Test
    void messageFromOutsideTheConfigurationOrFromItselfIsRefused() {
        TestNode n = TestNode.fresh(Opts.THESIS.config(1, THREE));
        assertTrue(refused(n, new AppendResponse(9, 1, 0, true, 0, 0, 0, 0, 0)).reason().contains("not a peer"));
        refused(n, vote(1, 1, 1, 0, 0));
    }

    @Test
    void aVoteRequestFromANodeNotYetInThisNodesConfigurationIsJudgedLikeAnyOther() {
        // Thesis 4.1: the candidate may be a voter of a configuration this node has not received yet.
        TestNode n = TestNode.fresh(Opts.THESIS.config(1, THREE));
        assertFalse(n.core().step(vote(9, 1, 1, 0, 0)) instanceof StepResult.Refused);
    }

    // A message addressed to another node is not the peer's fault but the caller's: a bug, so it throws.
    @Test
    void messageForAnotherNodeIsACallerBug() {
        TestNode n = TestNode.fresh(Opts.THESIS.config(1, THREE));
        assertThrows(IllegalStateException.class, () -> n.core().step(vote(2, 3, 1, 0, 0)));
    }
}
