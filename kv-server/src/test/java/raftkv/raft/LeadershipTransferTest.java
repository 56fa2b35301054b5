package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.only;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.TimeoutNow;
import raftkv.raft.Message.VoteRequest;

/** Raft thesis §3.10: leadership transfer. Pre-vote and check-quorum are on, as the node runs. */
class LeadershipTransferTest {
    private static final int E = Fixtures.ELECTION_TICKS;

    /** Node 1 leads; it has appended an entry that reached node 3 but not node 2 (the message to 2 is returned, undelivered). */
    static AppendRequest node2Behind(Cluster c) {
        TestNode leader = c.elect(1);
        leader.propose("x");
        List<AppendRequest> appends = only(AppendRequest.class, leader.ready().messages());
        leader.takeSent();
        c.roundTrip(appends.get(1));
        assertEquals(3, appends.get(1).to());
        return appends.get(0);
    }

    // §3.10: the leader first brings the target's log up to date, then sends it TimeoutNow.
    @Test
    void leaderSendsTimeoutNowOnceTargetIsCaughtUp() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        AppendRequest heldFor2 = node2Behind(c);
        TestNode leader = c.node(1);

        leader.transferLeadership(2);
        assertTrue(only(TimeoutNow.class, leader.ready().messages()).isEmpty(), "node 2 lacks entry 2");

        c.roundTrip(heldFor2);

        assertEquals(List.of(new TimeoutNow(1, 2, 1)), only(TimeoutNow.class, leader.takeSent()));
    }

    // §3.10: a target whose log already matches the leader's is sent TimeoutNow at once.
    @Test
    void caughtUpTargetIsSentTimeoutNowAtOnce() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);

        leader.transferLeadership(3);

        assertEquals(List.of(new TimeoutNow(1, 3, 1)), only(TimeoutNow.class, leader.ready().messages()));
    }

    // §3.10: the leader stops accepting client requests during a transfer, and names the target.
    @Test
    void proposalsAreRefusedDuringTransfer() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        node2Behind(c);
        TestNode leader = c.node(1);

        leader.transferLeadership(2);

        assertEquals(new ProposeResult.NotLeader(2), leader.propose("y"));
        assertEquals(2, leader.lastIndex(), "nothing was appended");
    }

    // §3.10: on TimeoutNow the target starts an election at once (no pre-vote), and voters grant it even within their lease.
    @Test
    void targetCampaignsAtOnceAndWinsDespiteLease() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        c.tickAll(1); // every follower has just heard from the leader
        TestNode target = c.node(2);

        c.node(1).transferLeadership(2);
        c.flush(m -> m instanceof TimeoutNow);

        assertEquals(Role.CANDIDATE, target.role(), "no election timeout, no pre-vote");
        assertEquals(2, target.term());
        List<VoteRequest> reqs = only(VoteRequest.class, target.sent());
        assertEquals(2, reqs.size());
        assertTrue(reqs.stream().allMatch(v -> v.transfer() && !v.preVote()));

        c.flush();

        assertEquals(Role.LEADER, target.role());
        assertEquals(2, c.node(3).status().votedFor(), "node 3 voted though it was in its leader's lease");
        assertEquals(Role.FOLLOWER, c.node(1).role());
        assertEquals(2, c.node(1).leader());
    }

    // §3.10: a transfer that does not complete within an election timeout is abandoned and the leader takes proposals again.
    @Test
    void transferAbandonedAfterElectionTimeout() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        c.isolate(3);

        leader.transferLeadership(3);
        c.tickAll(E - 1);
        assertEquals(new ProposeResult.NotLeader(3), leader.propose("early"));
        c.tickAll(1);

        assertEquals(Role.LEADER, leader.role());
        assertTrue(leader.propose("late") instanceof ProposeResult.Accepted);
    }

    // §3.10: TimeoutNow from a server that is not this follower's leader is ignored.
    @Test
    void timeoutNowFromNonLeaderIsIgnored() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        TestNode follower = c.node(2);

        follower.step(new TimeoutNow(3, 2, 1));
        Ready r = follower.ready();

        assertEquals(Role.FOLLOWER, follower.role());
        assertEquals(1, follower.term());
        assertTrue(r.messages().isEmpty());
    }
}
