package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.concat;
import static raftkv.raft.Fixtures.log;
import static raftkv.raft.Fixtures.only;
import static raftkv.raft.Fixtures.run;
import static raftkv.raft.RaftCore.NONE;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.VoteRequest;
import raftkv.raft.Message.VoteResponse;

/**
 * Raft paper §5.3 (end): a leader repairs a follower's log by backing off nextIndex; with the
 * follower's conflict hint it skips a whole term per round trip instead of one entry.
 */
class FastBackoffTest {

    /**
     * Node 1 (log {@code leaderTerms}) is elected by node 3 (same log) while node 2 holds
     * {@code followerTerms}; all messages are then delivered until the cluster is quiet.
     * All start at {@code term}; node 1 is elected for term + 1. Returns how many AppendEntries
     * node 2 rejected on the way.
     */
    static long repair(long term, long[] leaderTerms, long[] followerTerms, Cluster c) {
        c.restore(1, new HardState(term, NONE), log(leaderTerms));
        c.restore(2, new HardState(term, NONE), log(followerTerms));
        c.restore(3, new HardState(term, NONE), log(leaderTerms));
        c.elect(1);
        return only(AppendResponse.class, c.delivered()).stream()
                .filter(r -> r.from() == 2 && !r.success())
                .count();
    }

    static void assertSameLog(Cluster c) {
        assertEquals(c.node(1).logTerms(), c.node(2).logTerms());
        assertEquals(c.node(1).diskEntries(), c.node(2).diskEntries(), "node 2's stored log");
    }

    static Stream<Arguments> figure7() {
        return Stream.of(
                Arguments.of("a: missing one entry", new long[] {1, 1, 1, 4, 4, 5, 5, 6, 6}),
                Arguments.of("b: missing many entries", new long[] {1, 1, 1, 4}),
                Arguments.of("c: one extra uncommitted entry", new long[] {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}),
                Arguments.of("d: extra entries of a later term", new long[] {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}),
                Arguments.of("e: missing entries, extra of term 4", new long[] {1, 1, 1, 4, 4, 4, 4}),
                Arguments.of("f: extra entries of terms 2 and 3", new long[] {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}));
    }

    // §5.3 (figure 7): an elected leader brings each follower's log into agreement with its own, here with at most one rejection.
    @ParameterizedTest(name = "{0}")
    @MethodSource("figure7")
    void leaderRepairsEveryFigure7Follower(String name, long[] followerTerms) {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        long[] leader = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};

        long rejections = repair(7, leader, followerTerms, c);

        assertEquals(8, c.node(1).term());
        assertSameLog(c);
        assertEquals(8L, c.node(2).logTerms().get(10), "the new leader's no-op ends both logs");
        assertTrue(rejections <= 1, rejections + " rejections");
    }

    // §5.3: a long divergent log is repaired in a number of round trips bounded by its distinct terms, not its entries.
    @Test
    void longDivergentLogRepairedInRoundTripsBoundedByTerms() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        // Both agree on 3 entries of term 1, then diverge for 150 entries with interleaved terms:
        // the leader wrote terms 2, 4, 6 and the follower terms 3, 5, 7 (50 entries each).
        long[] leader = concat(run(1, 3), run(2, 50), run(4, 50), run(6, 50));
        long[] follower = concat(run(1, 3), run(3, 50), run(5, 50), run(7, 50));

        long rejections = repair(7, leader, follower, c);

        assertSameLog(c);
        assertEquals(154, c.node(2).lastIndex());
        assertTrue(rejections >= 1 && rejections <= 3,
                rejections + " rejections for 3 divergent follower terms (one per entry would be 150)");
    }

    // §5.3: a follower missing many entries is caught up after a single rejection (its hint is its last index).
    @Test
    void laggingFollowerCaughtUpAfterOneRejection() {
        Cluster c = new Cluster(Opts.PAPER, THREE);

        long rejections = repair(1, run(1, 200), run(1, 3), c);

        assertSameLog(c);
        assertEquals(201, c.node(2).lastIndex());
        assertEquals(1, rejections);
    }

    // §5.3: a heartbeat answered while the leader probes proves only the old matchIndex; it must not undo the back-off.
    @Test
    void heartbeatAnsweredWhileProbingDoesNotRestartReplicationFromStart() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        c.restore(1, new HardState(1, NONE), log(run(1, 100)));
        c.restore(2, new HardState(1, NONE), log(run(1, 50)));
        c.restore(3, new HardState(1, NONE), log(run(1, 100)));
        TestNode leader = c.node(1);
        PaperElectionTest.ticksUntilCampaign(leader);
        c.flush(m -> m instanceof VoteRequest || m instanceof VoteResponse);
        AppendRequest probe = only(AppendRequest.class, 2, leader.takeSent()).get(0); // prevLogIndex 100
        leader.elapse(1);
        AppendRequest heartbeat = only(AppendRequest.class, 2, leader.takeSent()).get(0); // prevLogIndex 0

        // In order on one link: the probe is rejected (hint: index 50), then the heartbeat is acknowledged.
        c.deliver(probe);
        c.deliver(heartbeat);
        for (Message answer : c.node(2).takeSent()) c.deliver(answer);

        List<AppendRequest> toFollower = only(AppendRequest.class, 2, leader.takeSent());
        assertEquals(List.of(50L), toFollower.stream().map(AppendRequest::prevLogIndex).toList(),
                "one probe right after the follower's last entry, not the log again from index 1");
    }
}
