package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.only;
import static raftkv.raft.Fixtures.vote;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.VoteResponse;

/**
 * Thesis 10.2.1: the leader writes its log in parallel with its followers. Its AppendEntries may
 * leave before its own sync ({@link Ready#sendableBeforeSync}), so the core must count the
 * leader's own entries toward commit only once {@link RaftCore#advance} reports them synced.
 */
class LeaderParallelWriteTest {

    // 10.2.1: the leader's own match index is what it has synced; alone, it commits only after its sync.
    @Test
    void aLeaderAloneCommitsItsEntryOnlyAfterItsSync() {
        TestNode leader = TestNode.fresh(Opts.PAPER.config(1, List.of(1L)));
        leader.elapse(2 * Fixtures.ELECTION_TICKS);
        assertEquals(Role.LEADER, leader.role());
        while (leader.core().hasCommittedToApply()) leader.ready();
        long before = leader.commit();

        leader.propose("x");
        Ready r = leader.ready(); // persists and syncs x, then advances

        assertEquals(1, r.entries().size());
        assertTrue(r.committedEntries().isEmpty(), "x was committed before the leader's sync: " + r.committedEntries());
        assertTrue(leader.core().hasCommittedToApply(), "advance() reports the sync, which commits x");
        Ready next = leader.ready();
        assertEquals(r.entries(), next.committedEntries());
        assertEquals(before + 1, leader.commit());
    }

    // 10.2.1 and figure 2: only a leader's AppendEntries go before the sync; answers and votes wait for it.
    @Test
    void onlyALeadersAppendEntriesMayGoBeforeTheSync() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode leader = c.elect(1);
        leader.propose("x");
        Ready r = leader.ready();
        List<AppendRequest> appends = only(AppendRequest.class, r.messages());
        assertEquals(2, appends.size());
        for (AppendRequest a : appends) assertTrue(r.sendableBeforeSync(a), a.toString());

        TestNode follower = c.node(2);
        c.deliver(appends.stream().filter(a -> a.to() == 2).findFirst().orElseThrow());
        Ready f = follower.lastReady();
        AppendResponse ack = only(AppendResponse.class, f.messages()).get(0);
        assertFalse(f.sendableBeforeSync(ack), "a follower acknowledges only what it synced");

        TestNode voter = TestNode.fresh(Opts.PAPER.config(3, THREE));
        voter.step(vote(2, 3, 5, 0, 0));
        Ready v = voter.ready();
        assertFalse(v.sendableBeforeSync(only(VoteResponse.class, v.messages()).get(0)), "a vote waits for its term and vote on disk");
    }
}
