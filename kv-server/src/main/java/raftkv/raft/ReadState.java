package raftkv.raft;

/**
 * A ReadIndex read the leader has confirmed (thesis 6.4): once the node has applied
 * {@code index}, reading its state machine is linearizable for request {@code requestId}.
 */
public record ReadState(long requestId, long index) {}
