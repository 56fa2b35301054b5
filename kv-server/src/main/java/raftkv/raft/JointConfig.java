package raftkv.raft;

import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Joint consensus (thesis 4.3): while the voters change from {@code outgoing} to {@code incoming},
 * every decision needs a majority of both, so neither the old nor the new configuration can decide
 * alone. With an empty {@code outgoing} it behaves exactly as {@code incoming}.
 */
public record JointConfig(MajorityConfig incoming, MajorityConfig outgoing) implements Quorum {

    /** The lower of the two committed indexes: an index is committed once both majorities hold it. */
    @Override
    public long committedIndex(ToLongFunction<Long> matchOf) {
        return Math.min(incoming.committedIndex(matchOf), outgoing.committedIndex(matchOf));
    }

    /** Won when both halves won, lost as soon as either lost, pending otherwise. */
    @Override
    public VoteResult voteResult(Function<Long, Boolean> voteOf) {
        VoteResult in = incoming.voteResult(voteOf);
        VoteResult out = outgoing.voteResult(voteOf);
        if (in == out) return in;
        if (in == VoteResult.LOST || out == VoteResult.LOST) return VoteResult.LOST;
        return VoteResult.PENDING;
    }
}
