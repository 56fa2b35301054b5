package raftkv.raft;

/** What a log entry holds. */
public enum EntryType {
    /** A state machine command proposed by a client. */
    NORMAL,
    /** Appended by a new leader so that it commits an entry of its own term (Raft paper 8). */
    NOOP,
    /** A whole new {@link Membership} ({@link MembershipCodec}); it takes effect once appended (thesis 4.1). */
    CONFIG
}
