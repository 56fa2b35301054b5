package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import raftkv.raft.Quorum.VoteResult;

/** The quorum helper on its own: majorities of odd, even and empty sizes, and joint configurations. */
class QuorumTest {

    private static Map<Long, Long> matches(long... idAndMatch) {
        Map<Long, Long> m = new HashMap<>();
        for (int i = 0; i < idAndMatch.length; i += 2) m.put(idAndMatch[i], idAndMatch[i + 1]);
        return m;
    }

    private static Map<Long, Boolean> votes(Object... idAndVote) {
        Map<Long, Boolean> m = new HashMap<>();
        for (int i = 0; i < idAndVote.length; i += 2) m.put(((Number) idAndVote[i]).longValue(), (Boolean) idAndVote[i + 1]);
        return m;
    }

    @Test
    void majorityIsMoreThanHalf() {
        assertEquals(1, MajorityConfig.of(1L).majority());
        assertEquals(2, MajorityConfig.of(1L, 2L).majority());
        assertEquals(2, MajorityConfig.of(1L, 2L, 3L).majority());
        assertEquals(3, MajorityConfig.of(1L, 2L, 3L, 4L).majority());
        assertEquals(3, MajorityConfig.of(1L, 2L, 3L, 4L, 5L).majority());
    }

    // Raft paper 5.3: the leader commits the highest index stored on a majority.
    @Test
    void committedIndexIsTheHighestIndexOnAMajority() {
        MajorityConfig three = MajorityConfig.of(1L, 2L, 3L);
        assertEquals(5, three.committedIndex(matches(1, 9, 2, 5, 3, 2)::get));
        assertEquals(9, three.committedIndex(matches(1, 9, 2, 9, 3, 0)::get));
        assertEquals(0, three.committedIndex(matches(1, 9, 2, 0, 3, 0)::get));

        MajorityConfig one = MajorityConfig.of(7L);
        assertEquals(4, one.committedIndex(matches(7, 4)::get));
    }

    // Even sizes need n/2 + 1: in four voters, two holding an index are not enough.
    @Test
    void evenSizesNeedMoreThanHalf() {
        MajorityConfig four = MajorityConfig.of(1L, 2L, 3L, 4L);
        assertEquals(3, four.committedIndex(matches(1, 9, 2, 9, 3, 3, 4, 1)::get));
        assertEquals(9, four.committedIndex(matches(1, 9, 2, 9, 3, 9, 4, 1)::get));

        MajorityConfig two = MajorityConfig.of(1L, 2L);
        assertEquals(4, two.committedIndex(matches(1, 8, 2, 4)::get));
        assertEquals(VoteResult.PENDING, two.voteResult(votes(1, true)::get));
        assertEquals(VoteResult.LOST, two.voteResult(votes(1, true, 2, false)::get));
        assertEquals(VoteResult.WON, two.voteResult(votes(1, true, 2, true)::get));
    }

    @Test
    void votesAreWonLostOrPending() {
        MajorityConfig five = MajorityConfig.of(1L, 2L, 3L, 4L, 5L);
        assertEquals(VoteResult.PENDING, five.voteResult(votes()::get));
        assertEquals(VoteResult.PENDING, five.voteResult(votes(1, true, 2, true)::get));
        assertEquals(VoteResult.WON, five.voteResult(votes(1, true, 2, true, 3, true)::get));
        assertEquals(VoteResult.PENDING, five.voteResult(votes(1, true, 2, false, 3, false)::get), "4 and 5 may still say yes");
        assertEquals(VoteResult.LOST, five.voteResult(votes(1, true, 2, false, 3, false, 4, false)::get));
        // Votes from outside the configuration count for nothing.
        assertEquals(VoteResult.PENDING, five.voteResult(votes(1, true, 2, true, 9, true)::get));

        MajorityConfig four = MajorityConfig.of(1L, 2L, 3L, 4L);
        assertEquals(VoteResult.LOST, four.voteResult(votes(1, false, 2, false)::get), "a tie is a loss in an even config");
        assertEquals(VoteResult.PENDING, four.voteResult(votes(1, true, 2, true, 3, false)::get));
    }

    // The empty configuration agrees to everything, so that it is neutral inside a joint configuration.
    @Test
    void emptyConfigurationAgreesToEverything() {
        MajorityConfig empty = MajorityConfig.of();
        assertEquals(Long.MAX_VALUE, empty.committedIndex(id -> { throw new AssertionError("no voter to ask"); }));
        assertEquals(VoteResult.WON, empty.voteResult(votes()::get));
    }

    // Thesis 4.3: during a joint configuration every decision needs a majority of both halves.
    @Test
    void jointConfigurationNeedsBothMajorities() {
        JointConfig joint = new JointConfig(MajorityConfig.of(1L, 2L, 3L), MajorityConfig.of(3L, 4L, 5L));

        // Index 7 is on 1 and 2, a majority of the incoming half, but the outgoing half holds only 4 on a majority.
        assertEquals(4, joint.committedIndex(matches(1, 7, 2, 7, 3, 4, 4, 4, 5, 0)::get));
        assertEquals(7, joint.committedIndex(matches(1, 7, 2, 7, 3, 4, 4, 7, 5, 7)::get));

        assertEquals(VoteResult.PENDING, joint.voteResult(votes(1, true, 2, true)::get), "incoming won, outgoing open");
        assertEquals(VoteResult.WON, joint.voteResult(votes(1, true, 2, true, 4, true, 5, true)::get));
        assertEquals(VoteResult.LOST, joint.voteResult(votes(1, true, 2, true, 4, false, 5, false)::get), "outgoing lost");
        assertEquals(VoteResult.WON, joint.voteResult(votes(3, true, 1, true, 4, true)::get), "3 counts in both halves");
    }

    @Test
    void jointWithEmptyOutgoingBehavesAsIncoming() {
        MajorityConfig three = MajorityConfig.of(1L, 2L, 3L);
        JointConfig joint = new JointConfig(three, MajorityConfig.of());
        Map<Long, Long> m = matches(1, 7, 2, 5, 3, 1);
        assertEquals(three.committedIndex(m::get), joint.committedIndex(m::get));
        for (Map<Long, Boolean> v : java.util.List.of(votes(), votes(1, true), votes(1, true, 2, true), votes(1, false, 2, false))) {
            assertEquals(three.voteResult(v::get), joint.voteResult(v::get), v.toString());
        }
    }
}
