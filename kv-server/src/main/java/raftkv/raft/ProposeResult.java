package raftkv.raft;

/** The outcome of {@link RaftCore#propose}: the entry's place in the log, or where to go instead. */
public sealed interface ProposeResult {
    /**
     * The entry was appended at {@code index} in {@code term}. It took effect if and only if the
     * entry applied at {@code index} has this term; an entry of another term there means it was lost.
     */
    record Accepted(long index, long term) implements ProposeResult {}

    /** This node is not the leader (or is handing leadership over); {@code leaderHint} may be {@link RaftCore#NONE}. */
    record NotLeader(long leaderHint) implements ProposeResult {}
}
