package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.FIVE;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.log;
import static raftkv.raft.Fixtures.only;
import static raftkv.raft.Fixtures.vote;
import static raftkv.raft.RaftCore.NONE;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.VoteRequest;
import raftkv.raft.Message.VoteResponse;

/** Raft paper §5.4: the election restriction (§5.4.1) and committing entries from previous terms (§5.4.2, figure 8). */
class PaperSafetyTest {

    static Stream<Arguments> candidates() {
        // The voter's log is [t1, t2, t2]: last index 3, last term 2.
        return Stream.of(
                Arguments.of("older last term, same length", 3, 1, false),
                Arguments.of("older last term, longer", 5, 1, false),
                Arguments.of("same last term, shorter", 2, 2, false),
                Arguments.of("same last term, same length", 3, 2, true),
                Arguments.of("same last term, longer", 4, 2, true),
                Arguments.of("newer last term, shorter", 1, 3, true));
    }

    // §5.4.1: a voter denies its vote to a candidate whose log is less up-to-date: compare last terms, then lengths.
    @ParameterizedTest(name = "{0}")
    @MethodSource("candidates")
    void voteDeniedToLessUpToDateLog(String name, long lastIndex, long lastTerm, boolean granted) {
        TestNode voter = TestNode.restored(Opts.PAPER.config(1, THREE), new HardState(2, NONE), log(1, 2, 2));

        voter.step(vote(2, 1, 3, lastIndex, lastTerm));
        Ready r = voter.ready();

        VoteResponse resp = only(VoteResponse.class, r.messages()).get(0);
        assertEquals(granted, resp.granted());
        assertEquals(3, voter.term(), "the candidate's term is adopted either way");
        assertEquals(granted ? 2 : NONE, voter.status().votedFor());
    }

    // §5.4.1 (Leader Completeness): a server missing a committed entry cannot be elected; a server holding it can.
    @Test
    void serverMissingCommittedEntryCannotBeElected() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode first = c.elect(1);
        c.isolate(3);
        first.propose("committed");
        c.flush();
        assertEquals(2, first.commit(), "committed by nodes 1 and 2");
        c.heal();
        c.isolate(1); // the leader crashes

        TestNode stale = c.node(3);
        PaperElectionTest.ticksUntilCampaign(stale);
        c.flush();
        assertEquals(Role.CANDIDATE, stale.role(), "node 2 refused: node 3 lacks entry 2");
        PaperElectionTest.ticksUntilCampaign(c.node(2));
        c.flush();

        assertEquals(Role.LEADER, c.node(2).role());
        assertEquals(Fixtures.data("committed"), c.node(2).core().entry(2).data());
    }

    /**
     * Figure 8 (c), as five cores. S1 wrote index 2 in term 2 and reached no one; S5 wrote a
     * different index 2 in term 3. S1 is now elected for term 4 (S5 is down) and, one entry per
     * AppendEntries, replicates its term-2 entry to S2 and S3: a majority holds it and S1 knows
     * it. S1's term-4 no-op (index 3) is still pending for S2 and S3.
     */
    static Cluster figure8c() {
        Cluster c = new Cluster(Opts.PAPER.limits(1, 1 << 20, 256), FIVE);
        c.restore(1, new HardState(3, NONE), log(1, 2));
        c.restore(2, new HardState(2, 1), log(1));
        c.restore(3, new HardState(3, 5), log(1));
        c.restore(4, new HardState(3, 5), log(1));
        c.restore(5, new HardState(3, 5), log(1, 3));
        c.isolate(5);
        TestNode s1 = c.node(1);
        PaperElectionTest.ticksUntilCampaign(s1);
        c.flush(m -> m instanceof VoteRequest || m instanceof VoteResponse);
        assertEquals(Role.LEADER, s1.role());
        assertEquals(4, s1.term());

        // The probes (prevLogIndex 2, carrying the no-op) are rejected by S2 and S3, which lack index 2.
        for (AppendRequest probe : only(AppendRequest.class, s1.takeSent())) {
            if (probe.to() == 2 || probe.to() == 3) c.roundTrip(probe);
        }
        // S1 backs off and sends index 2 alone.
        for (AppendRequest a : only(AppendRequest.class, s1.takeSent())) {
            assertEquals(List.of(Fixtures.entry(2, 2)), a.entries());
            c.roundTrip(a);
        }
        return c;
    }

    // §5.4.2 (figure 8): a leader does not commit an entry from a previous term by counting replicas.
    @Test
    void leaderDoesNotCommitPreviousTermEntryByCountingReplicas() {
        Cluster c = figure8c();
        TestNode s1 = c.node(1);

        for (long id : List.of(1L, 2L, 3L)) {
            assertEquals(2L, c.node(id).logTerms().get(1), "S" + id + " holds the term-2 entry at index 2");
        }
        assertEquals(0, s1.commit(), "3 of 5 hold index 2, but it is of term 2 and the leader's term is 4");
        assertTrue(s1.applied().isEmpty());
    }

    // §5.4.2: once an entry of the leader's own term is committed, every entry before it is committed indirectly.
    @Test
    void previousTermEntryIsCommittedThroughCurrentTermEntry() {
        Cluster c = figure8c();
        TestNode s1 = c.node(1);
        List<AppendRequest> noops = only(AppendRequest.class, s1.takeSent());
        assertEquals(List.of(2L, 3L), noops.stream().map(AppendRequest::to).toList());

        c.roundTrip(noops.get(0));
        assertEquals(0, s1.commit(), "the no-op is on S1 and S2 only");
        c.roundTrip(noops.get(1));

        assertEquals(3, s1.commit());
        assertEquals(List.of(Fixtures.entry(1, 1), Fixtures.entry(2, 2), Entry.noop(3, 4)), s1.applied());
    }

    // §5.4.2 (figure 8 d): why: an old-term entry stored on a majority can still be overwritten by a later leader.
    @Test
    void previousTermEntryOnMajorityCanStillBeOverwritten() {
        Cluster c = figure8c();
        c.node(1).takeSent();
        c.heal();
        c.isolate(1); // S1 crashes before its no-op spreads
        TestNode s5 = c.node(5);

        PaperElectionTest.ticksUntilCampaign(s5); // term 4: S2, S3, S4 already voted for S1
        c.flush();
        assertEquals(Role.FOLLOWER, s5.role());
        PaperElectionTest.ticksUntilCampaign(s5); // term 5: its last term 3 beats their 2 and 1
        c.flush();

        assertEquals(Role.LEADER, s5.role());
        assertEquals(5, s5.term());
        for (long id : List.of(2L, 3L)) {
            assertEquals(List.of(1L, 3L, 5L), c.node(id).logTerms(), "S" + id + "'s term-2 entry was replaced");
        }
    }
}
