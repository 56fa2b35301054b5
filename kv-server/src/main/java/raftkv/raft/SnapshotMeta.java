package raftkv.raft;

/**
 * Identifies a snapshot: the state machine after applying every entry up to and
 * including {@code index}, whose term was {@code term}. {@code index == 0} means "no
 * snapshot": the log starts at index 1.
 */
public record SnapshotMeta(long index, long term) {
    public static final SnapshotMeta NONE = new SnapshotMeta(0, 0);

    public SnapshotMeta {
        if (index < 0 || term < 0) throw new IllegalArgumentException("negative snapshot index or term");
        if ((index == 0) != (term == 0)) throw new IllegalArgumentException("snapshot index and term must both be 0 or both be > 0");
    }
}
