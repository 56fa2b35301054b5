package raftkv.raft;

/** A snapshot of a core's state for status pages and tests. */
public record Status(long id, Role role, long term, long leader, long votedFor, long commitIndex,
                     long appliedIndex, long lastIndex, long firstIndex) {}
