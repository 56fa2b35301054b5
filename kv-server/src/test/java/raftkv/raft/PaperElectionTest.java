package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.FIVE;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.append;
import static raftkv.raft.Fixtures.log;
import static raftkv.raft.Fixtures.only;
import static raftkv.raft.Fixtures.vote;
import static raftkv.raft.RaftCore.NONE;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.VoteRequest;
import raftkv.raft.Message.VoteResponse;

/** Raft paper §5.2: leader election. Pre-vote is off unless a test says otherwise. */
class PaperElectionTest {
    private static final int E = Fixtures.ELECTION_TICKS;

    /** Ticks {@code n} (handling each Ready) until it leaves the follower role; returns the ticks it took. */
    static int ticksUntilCampaign(TestNode n) {
        Role start = n.role();
        for (int t = 1; t <= 10 * E; t++) {
            n.elapse(1);
            if (n.role() != start) return t;
        }
        throw new AssertionError("no election after " + 10 * E + " ticks: " + n);
    }

    /** A candidate at term 1: node 1 of {@code voters}, whose election timer has fired. */
    static TestNode candidate(List<Long> voters) {
        TestNode n = TestNode.fresh(Opts.PAPER.config(1, voters));
        ticksUntilCampaign(n);
        n.takeSent();
        assertEquals(Role.CANDIDATE, n.role());
        return n;
    }

    // §5.2: a follower whose election timeout elapses becomes candidate, increments its term, votes for itself, asks every peer.
    @Test
    void followerElectionTimeoutStartsElection() {
        TestNode n = TestNode.restored(Opts.PAPER.config(1, THREE), new HardState(3, NONE), log(1, 2, 3));

        ticksUntilCampaign(n);
        Ready r = n.lastReady();

        assertEquals(Role.CANDIDATE, n.role());
        assertEquals(4, n.term());
        assertEquals(1, n.status().votedFor());
        assertEquals(new HardState(4, 1), r.hardState(), "term and self-vote are persisted with the requests");
        List<VoteRequest> reqs = only(VoteRequest.class, r.messages());
        assertEquals(Set.of(2L, 3L), reqs.stream().map(VoteRequest::to).collect(Collectors.toSet()));
        for (VoteRequest v : reqs) {
            assertEquals(new VoteRequest(1, v.to(), 4, 3, 3, false, false), v);
        }
    }

    // Thesis §9.6: with pre-vote, an election timeout first makes a pre-candidate that asks for term+1 without taking it.
    @Test
    void followerElectionTimeoutStartsPreVoteWhenEnabled() {
        TestNode n = TestNode.restored(Opts.PAPER.preVote(true).config(1, THREE), new HardState(3, NONE), log(1, 2, 3));

        ticksUntilCampaign(n);
        Ready r = n.lastReady();

        assertEquals(Role.PRE_CANDIDATE, n.role());
        assertEquals(3, n.term(), "a pre-vote does not raise the term");
        assertEquals(NONE, n.status().votedFor());
        assertNull(r.hardState(), "nothing to persist for a pre-vote");
        List<VoteRequest> reqs = only(VoteRequest.class, r.messages());
        assertEquals(Set.of(2L, 3L), reqs.stream().map(VoteRequest::to).collect(Collectors.toSet()));
        for (VoteRequest v : reqs) {
            assertEquals(new VoteRequest(1, v.to(), 4, 3, 3, true, false), v);
        }
    }

    // §5.2: election timeouts are chosen randomly from a fixed interval, here [electionTicks, 2*electionTicks).
    @Test
    void randomizedElectionTimeoutLiesInRange() {
        Set<Integer> seen = new TreeSet<>();
        for (long seed = 0; seed < 1000; seed++) {
            TestNode n = new TestNode(Opts.PAPER.config(1, THREE), HardState.INITIAL, SnapshotMeta.NONE, List.of(), seed);
            int ticks = ticksUntilCampaign(n);
            assertTrue(ticks >= E && ticks < 2 * E, "seed " + seed + ": timeout " + ticks);
            seen.add(ticks);
        }
        assertEquals(E, seen.size(), "every timeout in the range occurs over 1000 seeds: " + seen);
    }

    // §5.2: a follower remains follower as long as it receives valid AppendEntries from a leader.
    @Test
    void followerThatHearsFromLeaderDoesNotCampaign() {
        TestNode follower = TestNode.fresh(Opts.PAPER.config(2, THREE));

        for (int round = 0; round < 20; round++) {
            follower.step(append(1, 2, 1, 0, 0, List.of(), 0)).ready();
            follower.elapse(E - 1);
            assertEquals(Role.FOLLOWER, follower.role(), "round " + round);
        }
        assertEquals(1, follower.term());
    }

    // §5.2: a candidate that neither wins nor loses times out and starts a new election with a higher term.
    @Test
    void candidateStartsNewElectionOnTimeout() {
        TestNode c = candidate(THREE);

        int ticks = 0;
        while (c.term() == 1) {
            c.elapse(1);
            ticks++;
        }

        assertTrue(ticks >= E && ticks < 2 * E, "re-election after " + ticks + " ticks");
        assertEquals(Role.CANDIDATE, c.role());
        assertEquals(2, c.term());
        assertEquals(new HardState(2, 1), c.lastReady().hardState());
        assertEquals(2, only(VoteRequest.class, c.lastReady().messages()).stream().filter(v -> v.term() == 2).count());
    }

    // §5.2: a candidate wins once it has votes from a majority of the servers in the same term.
    @Test
    void candidateWinsWithMajority() {
        TestNode c = candidate(FIVE);

        c.step(new VoteResponse(2, 1, 1, true, false)).ready();
        assertEquals(Role.CANDIDATE, c.role(), "2 of 5 votes is no majority");
        c.step(new VoteResponse(3, 1, 1, true, false));
        Ready r = c.ready();

        assertEquals(Role.LEADER, c.role());
        assertEquals(new SoftState(Role.LEADER, 1, 1), r.softState());
    }

    // §5.2: each server votes once; a vote repeated by the same voter is counted once.
    @Test
    void votesAreCountedOncePerVoter() {
        TestNode c = candidate(FIVE);

        c.step(new VoteResponse(2, 1, 1, true, false)).ready();
        c.step(new VoteResponse(2, 1, 1, true, false)).ready();

        assertEquals(Role.CANDIDATE, c.role(), "two grants from node 2 are one vote");
    }

    // §5.2: a candidate that a majority rejects has lost this election; it becomes follower in the same term.
    @Test
    void candidateLosesWithMajorityOfRejections() {
        TestNode c = candidate(FIVE);

        c.step(new VoteResponse(2, 1, 1, false, false)).ready();
        c.step(new VoteResponse(3, 1, 1, false, false)).ready();
        assertEquals(Role.CANDIDATE, c.role(), "2 of 5 rejections is no majority");
        c.step(new VoteResponse(4, 1, 1, false, false)).ready();

        assertEquals(Role.FOLLOWER, c.role());
        assertEquals(1, c.term());
        assertEquals(NONE, c.leader());
    }

    // §5.2: each server votes for at most one candidate in a given term, on a first-come-first-served basis.
    @Test
    void oneVotePerTermFirstComeFirstServed() {
        TestNode voter = TestNode.fresh(Opts.PAPER.config(1, THREE));

        voter.step(vote(2, 1, 1, 0, 0));
        assertTrue(only(VoteResponse.class, voter.ready().messages()).get(0).granted(), "first candidate");
        voter.step(vote(3, 1, 1, 0, 0));
        assertFalse(only(VoteResponse.class, voter.ready().messages()).get(0).granted(), "second candidate, same term");
        voter.step(vote(2, 1, 1, 0, 0));
        assertTrue(only(VoteResponse.class, voter.ready().messages()).get(0).granted(), "the same candidate asking again");

        assertEquals(2, voter.status().votedFor());
        assertEquals(new HardState(1, 2), voter.diskHardState());
    }

    // §5.2: a candidate that receives AppendEntries from a leader of its own term recognises it and becomes follower.
    @Test
    void candidateReceivingAppendEntriesOfItsTermBecomesFollower() {
        TestNode c = candidate(THREE);

        c.step(append(2, 1, 1, 0, 0, List.of(), 0));
        Ready r = c.ready();

        assertEquals(Role.FOLLOWER, c.role());
        assertEquals(1, c.term());
        assertEquals(2, c.leader());
        assertTrue(only(AppendResponse.class, r.messages()).get(0).success());
    }

    // §5.2: a candidate rejects AppendEntries of a smaller term and continues in candidate state.
    @Test
    void candidateRejectsAppendEntriesOfOlderTerm() {
        TestNode c = PaperTermTest.inRole(Role.CANDIDATE); // term 5

        c.step(append(2, 1, 4, 0, 0, List.of(), 0));
        Ready r = c.ready();

        assertEquals(Role.CANDIDATE, c.role());
        assertEquals(5, c.term());
        assertFalse(only(AppendResponse.class, r.messages()).get(0).success());
    }

    // §5.2: in a single-server cluster the only vote needed is the server's own: it elects itself (and commits its no-op).
    @ParameterizedTest(name = "preVote={0}")
    @ValueSource(booleans = {false, true})
    void singleNodeClusterElectsItself(boolean preVote) {
        TestNode n = TestNode.fresh(Opts.PAPER.preVote(preVote).config(1, List.of(1L)));

        int ticks = ticksUntilCampaign(n);

        assertTrue(ticks >= E && ticks < 2 * E);
        assertEquals(Role.LEADER, n.role());
        assertEquals(1, n.term());
        assertEquals(1, n.commit());
        assertEquals(List.of(Entry.noop(1, 1)), n.applied());
        assertTrue(n.takeSent().isEmpty());
        assertEquals(new HardState(1, 1), n.diskHardState());
    }
}
