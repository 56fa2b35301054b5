package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.append;
import static raftkv.raft.Fixtures.entry;
import static raftkv.raft.Fixtures.log;
import static raftkv.raft.Fixtures.only;
import static raftkv.raft.Fixtures.vote;
import static raftkv.raft.RaftCore.NONE;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.SnapshotRequest;
import raftkv.raft.Message.SnapshotResponse;
import raftkv.raft.Message.VoteResponse;

/** Raft paper §5.1: terms act as a logical clock; stale terms are refused, newer terms are adopted. */
class PaperTermTest {

    /** Node 1 of three, restarted at term 4, brought into {@code role} (candidates and leaders are at term 5). */
    static TestNode inRole(Role role) {
        Opts opts = role == Role.PRE_CANDIDATE ? Opts.PAPER.preVote(true) : Opts.PAPER;
        TestNode n = TestNode.restored(opts.config(1, THREE), new HardState(4, NONE), List.of());
        if (role != Role.FOLLOWER) {
            for (int i = 0; i < 2 * opts.electionTicks() && n.role() == Role.FOLLOWER; i++) n.elapse(1);
        }
        if (role == Role.LEADER) {
            n.step(new VoteResponse(2, 1, 5, true, false)).ready();
        }
        n.takeSent();
        assertEquals(role, n.role());
        return n;
    }

    // §5.1: a server that receives an AppendEntries with a stale term rejects it, answering with its own term.
    @Test
    void staleTermAppendEntriesIsRejected() {
        TestNode follower = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(5, NONE), log(1, 2));

        follower.step(append(1, 2, 3, 2, 2, List.of(entry(3, 3)), 3));
        Ready r = follower.ready();

        AppendResponse resp = only(AppendResponse.class, r.messages()).get(0);
        assertEquals(1, r.messages().size());
        assertFalse(resp.success());
        assertEquals(5, resp.term());
        assertEquals(1, resp.to());
        assertEquals(2, follower.lastIndex(), "the stale request appended nothing");
        assertEquals(0, follower.commit());
        assertEquals(NONE, follower.leader(), "a stale sender is not recognised as leader");
        assertNull(r.hardState());
    }

    // §5.1: a server that receives a RequestVote with a stale term rejects it and keeps its term and vote.
    @Test
    void staleTermRequestVoteIsRejected() {
        TestNode voter = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(5, NONE), log(1, 2));

        voter.step(vote(3, 2, 4, 10, 4));
        Ready r = voter.ready();

        VoteResponse resp = only(VoteResponse.class, r.messages()).get(0);
        assertFalse(resp.granted());
        assertEquals(5, resp.term());
        assertEquals(NONE, voter.status().votedFor());
        assertNull(r.hardState());
    }

    // §5.1 (and §7): a server that receives an InstallSnapshot with a stale term rejects it.
    @Test
    void staleTermInstallSnapshotIsRejected() {
        TestNode follower = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(5, NONE), log(1, 2));

        follower.step(new SnapshotRequest(1, 2, 3, new SnapshotMeta(10, 3)));
        Ready r = follower.ready();

        SnapshotResponse resp = only(SnapshotResponse.class, r.messages()).get(0);
        assertEquals(5, resp.term());
        assertNull(r.snapshot());
        assertEquals(2, follower.lastIndex());
        assertEquals(SnapshotMeta.NONE, follower.core().snapshotMeta());
    }

    // §5.1: responses that carry a stale term are ignored (they cannot make a candidate win or a leader commit).
    @Test
    void staleTermResponsesAreIgnored() {
        TestNode candidate = inRole(Role.CANDIDATE);
        candidate.step(new VoteResponse(2, 1, 3, true, false));
        candidate.ready();
        assertEquals(Role.CANDIDATE, candidate.role(), "a grant from term 3 does not count in term 5");

        TestNode leader = inRole(Role.LEADER);
        leader.step(new AppendResponse(2, 1, 3, true, 1, 0, 0, 0, 0));
        Ready r = leader.ready();
        assertEquals(0, leader.commit(), "an ack from term 3 does not count towards a commit in term 5");
        assertTrue(r.messages().isEmpty());
    }

    // §5.1: if a server learns of a higher term it updates its term, and a candidate or leader reverts to follower.
    @ParameterizedTest
    @EnumSource(Role.class)
    void higherTermInAppendEntriesMakesAnyRoleFollowerOfThatTerm(Role role) {
        TestNode n = inRole(role);

        n.step(append(2, 1, 7, 0, 0, List.of(), 0));
        Ready r = n.ready();

        assertEquals(Role.FOLLOWER, n.role());
        assertEquals(7, n.term());
        assertEquals(2, n.leader());
        assertEquals(new HardState(7, NONE), r.hardState(), "the new term is persisted, with no vote in it");
        assertTrue(only(AppendResponse.class, r.messages()).get(0).success());
    }

    // §5.1: a leader that receives a RequestVote with a higher term steps down (without check-quorum's lease).
    @Test
    void higherTermRequestVoteMakesLeaderStepDown() {
        TestNode leader = inRole(Role.LEADER);

        leader.step(vote(3, 1, 6, 1, 5));
        Ready r = leader.ready();

        assertEquals(Role.FOLLOWER, leader.role());
        assertEquals(6, leader.term());
        assertEquals(NONE, leader.leader());
        assertTrue(only(VoteResponse.class, r.messages()).get(0).granted(), "the candidate's log is as up-to-date");
        assertEquals(new HardState(6, 3), r.hardState());
    }

    // §5.1: a candidate that learns a higher term from a vote rejection reverts to follower with that term.
    @Test
    void higherTermVoteRejectionMakesCandidateStepDown() {
        TestNode candidate = inRole(Role.CANDIDATE);

        candidate.step(new VoteResponse(2, 1, 6, false, false)).ready();

        assertEquals(Role.FOLLOWER, candidate.role());
        assertEquals(6, candidate.term());
    }

    // §5.1: a leader that learns a higher term from an AppendEntries response reverts to follower with that term.
    @Test
    void higherTermAppendResponseMakesLeaderStepDown() {
        TestNode leader = inRole(Role.LEADER);

        leader.step(new AppendResponse(2, 1, 6, false, 0, 0, 0, 0, 0)).ready();

        assertEquals(Role.FOLLOWER, leader.role());
        assertEquals(6, leader.term());
        assertEquals(NONE, leader.leader());
    }
}
