package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.THREE;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.VoteRequest;

/** Thesis chapter 4: membership changes one server at a time, and learners (thesis 4.2.1). */
class MembershipTest {
    private static final Membership.Address ADDRESS = new Membership.Address("127.0.0.4", 8004, 9004);

    // Thesis 4.1: when the voters change by one, every majority of the old set and every majority of
    // the new set share a node, so the two configurations can never decide apart (no disjoint majorities).
    @Test
    void majoritiesOfConfigurationsOneVoterApartAlwaysIntersect() {
        for (int n = 1; n <= 7; n++) {
            TreeSet<Long> voters = new TreeSet<>();
            for (long i = 1; i <= n; i++) voters.add(i);
            TreeSet<Long> grown = new TreeSet<>(voters);
            grown.add(100L);
            assertTrue(intersect(voters, grown), n + " voters, one added");
            for (long removed : voters) {
                if (n == 1) continue;
                TreeSet<Long> shrunk = new TreeSet<>(voters);
                shrunk.remove(removed);
                assertTrue(intersect(voters, shrunk), n + " voters, " + removed + " removed");
            }
        }
    }

    /** By pigeonhole: every majority of a meets every majority of b if together they outnumber the union. */
    private static boolean intersect(Set<Long> a, Set<Long> b) {
        TreeSet<Long> union = new TreeSet<>(a);
        union.addAll(b);
        return MajorityConfig.of(a).majority() + MajorityConfig.of(b).majority() > union.size();
    }

    // Thesis 4.2.1: a learner's acknowledgements never make an entry committed.
    @Test
    void learnerDoesNotCountTowardTheQuorum() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        c.join(4);
        assertTrue(leader.changeMembership(new MembershipChange.AddLearner(4, ADDRESS)) instanceof MembershipResult.Accepted);
        c.flush();
        long committed = leader.commit();
        c.isolate(2);
        c.isolate(3);

        leader.propose("x");
        c.flush();

        assertEquals(leader.lastIndex(), c.node(4).lastIndex(), "the learner has the entry");
        assertEquals(committed, leader.commit(), "but it does not count toward a majority");
    }

    // Thesis 4.1: a server uses the latest configuration in its log, committed or not, so when a new
    // leader truncates an uncommitted change the server goes back to the configuration before it.
    @Test
    void truncatedChangeRevertsTheMembership() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode first = c.elect(1);
        c.join(4);
        c.isolate(2);
        c.isolate(3);
        first.changeMembership(new MembershipChange.AddLearner(4, ADDRESS));
        c.flush();
        assertEquals(Set.of(4L), first.core().membership().learners());

        c.heal();
        c.isolate(1);
        c.elect(2);
        c.heal();
        c.tickAll(1);

        assertEquals(Role.FOLLOWER, first.role());
        assertEquals(Set.of(), first.core().membership().learners());
        assertEquals(List.of(1L, 2L, 3L), List.copyOf(first.core().membership().voters()));
    }

    // Etcd's rule: a learner far behind the leader is not promoted, since as a voter it would hold commits back.
    @Test
    void learnerFarBehindIsNotPromoted() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode leader = c.elect(1);
        c.join(4);
        leader.changeMembership(new MembershipChange.AddLearner(4, ADDRESS));
        c.flush();
        c.isolate(4);
        for (int i = 0; i <= RaftCore.PROMOTE_MAX_LAG; i++) leader.propose("x" + i);
        c.flush();

        MembershipResult r = leader.changeMembership(new MembershipChange.Promote(4));

        assertTrue(r instanceof MembershipResult.Refused f && f.reason().contains("has not caught up"), r.toString());
        assertTrue(leader.core().membership().isLearner(4), "nothing changed");
        c.heal();
        c.tickAll(3);
        MembershipResult later = leader.changeMembership(new MembershipChange.Promote(4));
        assertTrue(later instanceof MembershipResult.Accepted, "once caught up: " + later);
    }

    // Learners never campaign, and candidates do not ask them for votes.
    @Test
    void learnerNeverCampaignsAndIsNotAskedToVote() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode leader = c.elect(1);
        TestNode learner = c.join(4);
        leader.changeMembership(new MembershipChange.AddLearner(4, ADDRESS));
        c.flush();
        c.isolate(1);

        learner.elapse(10 * Fixtures.ELECTION_TICKS);
        assertEquals(Role.FOLLOWER, learner.role());
        assertTrue(learner.takeSent().isEmpty());

        TestNode candidate = c.node(2);
        for (int i = 0; i < 3 * Fixtures.ELECTION_TICKS && candidate.role() == Role.FOLLOWER; i++) candidate.elapse(1);
        assertFalse(candidate.sent().stream().anyMatch(m -> m instanceof VoteRequest && m.to() == 4));
    }

    @Test
    void codecRoundTripsAndRejectsDamagedBytes() {
        Membership m = Membership.ofVoters(List.of(1L, 2L, 3L)).with(new Membership.Member(4, false, ADDRESS));
        ByteString bytes = MembershipCodec.encode(m);
        assertEquals(m, MembershipCodec.decode(bytes));
        assertThrows(IllegalArgumentException.class, () -> MembershipCodec.decode(bytes.substring(0, bytes.size() - 1)));
        assertThrows(IllegalArgumentException.class, () -> MembershipCodec.decode(bytes.concat(ByteString.copyFrom(new byte[] {0}))));
        assertThrows(IllegalArgumentException.class, () -> MembershipCodec.decode(ByteString.copyFrom(new byte[] {9, 0, 0, 0, 1})));
        assertThrows(IllegalArgumentException.class,
                () -> MembershipCodec.decode(MembershipCodec.encode(Membership.ofVoters(List.of(1L)).without(1))));
    }

    @Test
    void retiredIdsSurviveTheCodecAndAMembershipWithoutThemKeepsTheFirstFormat() {
        Membership start = Membership.ofVoters(List.of(1L, 2L, 3L));
        assertEquals(1, MembershipCodec.encode(start).byteAt(0), "no retired id: the format written before retirement");
        Membership m = start.without(2).with(new Membership.Member(4, false, ADDRESS)).without(4);
        assertEquals(java.util.Set.of(2L, 4L), m.retired());
        ByteString bytes = MembershipCodec.encode(m);
        assertEquals(2, bytes.byteAt(0));
        assertEquals(m, MembershipCodec.decode(bytes));
        assertThrows(IllegalArgumentException.class, () -> MembershipCodec.decode(bytes.substring(0, bytes.size() - 1)));
        assertThrows(IllegalArgumentException.class, () -> new Membership(start.members(), new java.util.TreeSet<>(List.of(1L))),
                "a member cannot be retired too");
    }
}
