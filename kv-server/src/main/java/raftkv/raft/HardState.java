package raftkv.raft;

/**
 * What a node must keep on stable storage, besides its log, before it answers a vote
 * or sends anything that depends on it (Raft paper, figure 2: currentTerm and votedFor).
 *
 * @param term     the latest term this node has seen
 * @param votedFor the candidate this node voted for in {@code term}, or {@link RaftCore#NONE}
 */
public record HardState(long term, long votedFor) {
    public static final HardState INITIAL = new HardState(0, RaftCore.NONE);

    public HardState {
        if (term < 0) throw new IllegalArgumentException("term must be >= 0, got " + term);
    }
}
