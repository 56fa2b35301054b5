package raftkv.kv;

/**
 * The bounds of the replicated state (SPEC section 11). Applied by {@link KvStateMachine} while it
 * applies entries, so every replica must use the same values (they come from the cluster's one
 * config.json, as the server list does): a replica with a smaller quota would refuse a write the
 * others applied, and their states would differ.
 *
 * @param quotaBytes  the most the store may hold, counted by {@link #entryBytes}: a write that would
 *                    take the store past it while adding bytes is refused ({@link ApplyResult.NoSpace});
 *                    reads, deletes and writes that do not grow the store still apply
 * @param maxSessions the most clients the exactly-once table remembers; past it, the least recently
 *                    used (by log time, ties by client id) is forgotten
 */
public record KvLimits(long quotaBytes, int maxSessions) {
    /**
     * A quarter of the 1 GiB heap the scripts give a node: the store is held in memory, twice for a
     * moment while a snapshot from the leader is installed, beside the log and client buffers.
     */
    public static final long DEFAULT_QUOTA_BYTES = 256L << 20;
    /** About 20 MB of heap when full (a session costs under 200 bytes). */
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
    /**
     * What a key costs beyond its key and value bytes in the quota's count: a rough size of its map
     * node and metadata, so that many tiny keys cannot fill the heap under the quota's nose.
     */
    public static final int KEY_OVERHEAD_BYTES = 64;

    public static final KvLimits DEFAULTS = new KvLimits(DEFAULT_QUOTA_BYTES, DEFAULT_MAX_SESSIONS);

    public KvLimits {
        if (quotaBytes < 1) throw new IllegalArgumentException("quotaBytes must be >= 1, got " + quotaBytes);
        if (maxSessions < 1) throw new IllegalArgumentException("maxSessions must be >= 1, got " + maxSessions);
    }

    /** The bytes one key counts for toward {@link #quotaBytes}. */
    public static long entryBytes(int keyBytes, int valueBytes) {
        return KEY_OVERHEAD_BYTES + (long) keyBytes + valueBytes;
    }
}
