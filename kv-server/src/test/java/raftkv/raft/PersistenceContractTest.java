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
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.VoteResponse;

/**
 * Raft paper figure 2 ("persistent state on all servers, updated on stable storage before
 * responding to RPCs") as the core's Ready contract states it. {@link TestNode} also checks the
 * contract on every Ready of every test; these tests pin the individual rules.
 */
class PersistenceContractTest {

    // Figure 2: a granted vote is persisted (term and votedFor) in the same Ready that carries the VoteResponse.
    @Test
    void voteIsPersistedWithTheResponseGrantingIt() {
        TestNode voter = TestNode.fresh(Opts.PAPER.config(1, THREE));

        voter.step(vote(2, 1, 1, 0, 0));
        Ready r = voter.ready();

        assertEquals(new HardState(1, 2), r.hardState());
        assertTrue(only(VoteResponse.class, r.messages()).get(0).granted());
        assertTrue(r.mustSync(), "the node must sync before sending");
    }

    // Figure 2: a new term learned from any message is persisted before anything is answered in it.
    @Test
    void newTermIsPersistedWithTheAnswer() {
        TestNode follower = TestNode.fresh(Opts.PAPER.config(2, THREE));

        follower.step(append(1, 2, 3, 0, 0, List.of(), 0));
        Ready r = follower.ready();

        assertEquals(new HardState(3, NONE), r.hardState());
        assertEquals(3, only(AppendResponse.class, r.messages()).get(0).term());
    }

    // Ready contract: the hard state appears only when term or vote changed since the last Ready.
    @Test
    void hardStateIsReportedOnlyWhenChanged() {
        TestNode follower = TestNode.fresh(Opts.PAPER.config(2, THREE));
        follower.step(vote(1, 2, 1, 0, 0)).ready();

        follower.step(append(1, 2, 1, 0, 0, List.of(entry(1, 1)), 0));
        Ready r = follower.ready();

        assertNull(r.hardState());
        assertTrue(r.mustSync(), "the new entry still has to be synced");
        assertFalse(follower.ready().mustSync(), "an empty Ready asks for nothing");
    }

    // Figure 2 (§5.3): a leader's new entries are in Ready.entries of the same Ready whose messages first carry them.
    @Test
    void leaderEntriesArePersistedWithTheMessagesCarryingThem() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode leader = c.elect(1);

        leader.propose("x");
        Ready r = leader.ready();

        Entry x = r.entries().get(0);
        for (AppendRequest a : only(AppendRequest.class, r.messages())) assertEquals(List.of(x), a.entries());
        assertTrue(r.mustSync());
        assertTrue(leader.ready().entries().isEmpty(), "after advance() the entry is stable and not reported again");
    }

    // Figure 2 (§5.3): a follower acknowledges entries in the same Ready that asks it to persist them.
    @Test
    void followerEntriesArePersistedWithTheirAcknowledgement() {
        TestNode follower = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(1, NONE), log(1));

        follower.step(append(1, 2, 1, 1, 1, List.of(entry(2, 1), entry(3, 1)), 0));
        Ready r = follower.ready();

        assertEquals(List.of(entry(2, 1), entry(3, 1)), r.entries());
        assertEquals(3, only(AppendResponse.class, r.messages()).get(0).matchIndex());
    }

    // Figure 2: a server restarted from its persisted state keeps its term, vote and log, and will not vote twice in that term.
    @Test
    void restartedCoreKeepsTermVoteAndLog() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode voter = c.node(1);
        voter.step(vote(2, 1, 1, 0, 0)).ready();
        voter.step(append(2, 1, 1, 0, 0, List.of(entry(1, 1), entry(2, 1)), 0)).ready();

        TestNode restarted = c.restart(1);

        assertEquals(1, restarted.term());
        assertEquals(2, restarted.status().votedFor());
        assertEquals(2, restarted.lastIndex());
        assertNull(restarted.ready().hardState(), "nothing new to persist");
        restarted.step(vote(3, 1, 1, 5, 1));
        assertFalse(only(VoteResponse.class, restarted.ready().messages()).get(0).granted(), "already voted for 2 in term 1");
        restarted.step(vote(2, 1, 1, 2, 1));
        assertTrue(only(VoteResponse.class, restarted.ready().messages()).get(0).granted(), "the same vote again");
    }

    // Figure 2: a candidate restarted in its term still holds its own vote and refuses others in that term.
    @Test
    void restartedCandidateDoesNotVoteForAnotherInItsTerm() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        PaperElectionTest.ticksUntilCampaign(c.node(1));

        TestNode restarted = c.restart(1);
        assertEquals(new HardState(1, 1), restarted.diskHardState());
        restarted.step(vote(2, 1, 1, 0, 0));

        assertFalse(only(VoteResponse.class, restarted.ready().messages()).get(0).granted());
        assertEquals(Role.FOLLOWER, restarted.role(), "a restarted node starts as follower");
    }

    // Figure 2: commitIndex is volatile: a restarted server learns it again from the leader and re-applies in order.
    @Test
    void restartedFollowerRelearnsCommitFromLeader() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode leader = c.elect(1);
        leader.propose("x");
        c.flush();
        c.tickAll(1);
        assertEquals(2, c.node(2).commit());

        TestNode restarted = c.restart(2);
        assertEquals(0, restarted.commit());
        c.tickAll(1);

        assertEquals(2, restarted.commit());
        assertEquals(List.of(1L, 2L), restarted.applied().stream().map(Entry::index).toList());
    }
}
