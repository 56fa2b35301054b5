package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.FIVE;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.log;
import static raftkv.raft.Fixtures.only;
import static raftkv.raft.Fixtures.preVote;
import static raftkv.raft.Fixtures.vote;
import static raftkv.raft.RaftCore.NONE;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.VoteRequest;
import raftkv.raft.Message.VoteResponse;

/** Raft thesis §9.6: preventing disruptions when a server rejoins: pre-vote, and check-quorum with its lease. */
class PreVoteCheckQuorumTest {
    private static final int E = Fixtures.ELECTION_TICKS;

    static VoteResponse answer(TestNode voter, VoteRequest request) {
        voter.step(request);
        return only(VoteResponse.class, voter.ready().messages()).get(0);
    }

    // §9.6: a pre-vote is granted as the real vote would be, but changes neither the voter's term nor its vote.
    @Test
    void preVoteDoesNotChangeVotersTermOrVote() {
        TestNode voter = TestNode.restored(Opts.THESIS.config(1, THREE), new HardState(2, NONE), log(1, 2));

        VoteResponse first = answer(voter, preVote(2, 1, 3, 2, 2));
        assertNull(voter.lastReady().hardState(), "nothing to persist");
        VoteResponse second = answer(voter, preVote(3, 1, 3, 2, 2));

        assertEquals(new VoteResponse(1, 2, 3, true, true), first);
        assertEquals(new VoteResponse(1, 3, 3, true, true), second, "a pre-vote binds nothing: another may have one too");
        assertEquals(2, voter.term());
        assertEquals(NONE, voter.status().votedFor());
        assertEquals(new HardState(2, NONE), voter.diskHardState());
    }

    // §9.6 with §5.4.1: a pre-vote is denied to a candidate whose log is less up-to-date, and the voter's term stays.
    @Test
    void preVoteDeniedToLessUpToDateLog() {
        TestNode voter = TestNode.restored(Opts.THESIS.config(1, THREE), new HardState(2, NONE), log(1, 2));

        VoteResponse resp = answer(voter, preVote(2, 1, 3, 5, 1));

        assertFalse(resp.granted());
        assertTrue(resp.preVote());
        assertEquals(2, resp.term());
        assertEquals(2, voter.term());
    }

    // §9.6: a pre-candidate granted pre-votes by a majority starts a real election: term+1, votes for itself.
    @Test
    void preCandidateWithMajorityOfPreVotesBecomesCandidate() {
        TestNode n = TestNode.fresh(Opts.THESIS.config(1, THREE));
        PaperElectionTest.ticksUntilCampaign(n);
        n.takeSent();
        assertEquals(Role.PRE_CANDIDATE, n.role());

        n.step(new VoteResponse(2, 1, 1, true, true));
        Ready r = n.ready();

        assertEquals(Role.CANDIDATE, n.role());
        assertEquals(1, n.term());
        assertEquals(new HardState(1, 1), r.hardState());
        List<VoteRequest> reqs = only(VoteRequest.class, r.messages());
        assertEquals(2, reqs.size());
        assertTrue(reqs.stream().allMatch(v -> v.term() == 1 && !v.preVote()));
    }

    // §9.6: a pre-candidate rejected by a majority returns to follower without having raised its term.
    @Test
    void preCandidateRejectedByMajorityReturnsToFollower() {
        TestNode n = TestNode.fresh(Opts.THESIS.config(1, THREE));
        PaperElectionTest.ticksUntilCampaign(n);

        n.step(new VoteResponse(2, 1, 0, false, true)).ready();
        n.step(new VoteResponse(3, 1, 0, false, true)).ready();

        assertEquals(Role.FOLLOWER, n.role());
        assertEquals(0, n.term());
        assertEquals(HardState.INITIAL, n.diskHardState());
    }

    /** Node 3 is cut off for many election timeouts while nodes 1 (leader) and 2 commit entries without it. */
    static Cluster partitionNode3(Opts opts) {
        Cluster c = new Cluster(opts, THREE);
        TestNode leader = c.elect(1);
        c.isolate(3);
        leader.propose("while 3 was away");
        c.tickAll(5 * E);
        c.node(3).takeSent(); // lost in the partition
        c.heal();
        return c;
    }

    // §9.6: a server that rejoins after a partition does not disrupt the leader: its pre-votes fail and no term rises.
    @ParameterizedTest(name = "checkQuorum={0}")
    @ValueSource(booleans = {true, false})
    void rejoiningNodeWithPreVoteDoesNotDisruptLeader(boolean checkQuorum) {
        Cluster c = partitionNode3(Opts.THESIS.checkQuorum(checkQuorum));
        TestNode rejoiner = c.node(3);
        assertEquals(1, rejoiner.term(), "pre-votes that reached no one raised nothing");

        while (only(VoteRequest.class, rejoiner.sent()).isEmpty()) rejoiner.elapse(1);
        c.flush();

        assertEquals(Role.LEADER, c.node(1).role());
        for (TestNode n : c.nodes()) assertEquals(1, n.term(), "node " + n.id());
        c.tickAll(1);
        assertEquals(1, rejoiner.leader());
        assertEquals(c.node(1).logTerms(), rejoiner.logTerms(), "the rejoined node is caught up");
    }

    // §9.6: the problem pre-vote solves: without it, the rejoining node's inflated term makes the leader step down.
    @Test
    void rejoiningNodeWithoutPreVoteDisruptsLeader() {
        Cluster c = partitionNode3(Opts.PAPER);
        TestNode rejoiner = c.node(3);
        assertTrue(rejoiner.term() > 2, "each timeout in the partition raised node 3's term: " + rejoiner.term());

        while (only(VoteRequest.class, rejoiner.sent()).isEmpty()) rejoiner.elapse(1);
        c.flush();

        assertTrue(c.node(1).term() > 1, "the leader adopted the rejoiner's term");
        assertEquals(Role.FOLLOWER, c.node(1).role());
    }

    // §9.6 (check-quorum): a leader that hears from no majority during a whole election timeout steps down.
    @Test
    void leaderWithoutQuorumStepsDown() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        c.tickAll(E - 1);
        c.isolate(1);
        leader.elapse(1); // check-quorum interval 1 ends: the followers answered during it
        assertEquals(Role.LEADER, leader.role());

        leader.elapse(E - 1);
        assertEquals(Role.LEADER, leader.role(), "interval 2 is not over");
        leader.elapse(1);

        assertEquals(Role.FOLLOWER, leader.role());
        assertEquals(1, leader.term());
        assertEquals(NONE, leader.leader());
    }

    // §9.6 (check-quorum): a leader cut off right after its election steps down; its votes count for the first interval only.
    @Test
    void leaderCutOffAfterElectionStepsDownWithinTwoIntervals() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.node(1);
        PaperElectionTest.ticksUntilCampaign(leader);
        c.flush(m -> m instanceof VoteRequest || m instanceof VoteResponse);
        assertEquals(Role.LEADER, leader.role());
        c.isolate(1);

        leader.elapse(E);
        assertEquals(Role.LEADER, leader.role(), "the first interval counts the votes that elected it");
        leader.elapse(E);

        assertEquals(Role.FOLLOWER, leader.role());
    }

    // §9.6 (check-quorum): a leader that hears from a majority keeps leading, however long a minority is silent.
    @Test
    void leaderWithQuorumKeepsLeading() {
        Cluster c = new Cluster(Opts.THESIS, FIVE);
        TestNode leader = c.elect(1);
        c.isolate(4);
        c.isolate(5);

        c.tickAll(10 * E);

        assertEquals(Role.LEADER, leader.role());
        assertEquals(1, leader.term());
    }

    // §9.6: a follower that heard from its leader within the election timeout rejects votes and pre-votes, keeping its term.
    @Test
    void followerInLeaseRejectsVotesAndPreVotes() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        c.tickAll(1);
        TestNode follower = c.node(2);

        assertFalse(answer(follower, vote(3, 2, 5, 100, 100)).granted(), "vote");
        assertFalse(answer(follower, preVote(3, 2, 5, 100, 100)).granted(), "pre-vote");
        assertEquals(1, follower.term());
        assertEquals(1, follower.leader());

        follower.elapse(E); // no word from the leader for a whole election timeout: the lease is over
        VoteResponse late = answer(follower, vote(3, 2, 5, 100, 100));
        assertTrue(late.granted());
        assertEquals(5, follower.term());
    }

    // §9.6: a leader with check-quorum also ignores a RequestVote of a higher term from a disruptive server.
    @Test
    void leaderInLeaseIgnoresDisruptiveVote() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);

        assertFalse(answer(leader, vote(3, 1, 5, 100, 100)).granted());
        assertEquals(Role.LEADER, leader.role());
        assertEquals(1, leader.term());
    }
}
