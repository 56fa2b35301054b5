package raftkv.raft;

import java.util.Arrays;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * A set of voters of which more than half must agree (Raft paper 5.2).
 *
 * <p>The empty configuration agrees to everything: it commits any index and wins every vote. It
 * decides nothing alone (a core always has itself as a voter); it lets a {@link JointConfig} whose
 * outgoing half is empty behave as its incoming half, as etcd-io/raft does.
 *
 * @param voters the voting members' ids, iterated in ascending order
 */
public record MajorityConfig(SortedSet<Long> voters) implements Quorum {
    public MajorityConfig {
        voters = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(voters));
    }

    public static MajorityConfig of(Set<Long> voters) {
        return new MajorityConfig(new TreeSet<>(voters));
    }

    public static MajorityConfig of(Long... voters) {
        return of(Set.of(voters));
    }

    /** How many voters make a majority: {@code n/2 + 1}, so 2 of 2, 2 of 3, 3 of 4. */
    public int majority() {
        return voters.size() / 2 + 1;
    }

    @Override
    public long committedIndex(ToLongFunction<Long> matchOf) {
        if (voters.isEmpty()) return Long.MAX_VALUE;
        long[] matches = new long[voters.size()];
        int i = 0;
        for (long v : voters) matches[i++] = matchOf.applyAsLong(v);
        Arrays.sort(matches);
        // Ascending: the majority()-th largest match is stored on at least majority() voters.
        return matches[matches.length - majority()];
    }

    @Override
    public VoteResult voteResult(Function<Long, Boolean> voteOf) {
        if (voters.isEmpty()) return VoteResult.WON;
        int yes = 0;
        int missing = 0;
        for (long v : voters) {
            Boolean vote = voteOf.apply(v);
            if (vote == null) missing++;
            else if (vote) yes++;
        }
        if (yes >= majority()) return VoteResult.WON;
        // Lost once even every missing answer being yes could not make a majority.
        if (yes + missing >= majority()) return VoteResult.PENDING;
        return VoteResult.LOST;
    }
}
