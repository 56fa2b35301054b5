package raftkv.wal;

import java.util.List;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;

/**
 * Stable storage for one node's Raft state: the hard state and the log. The node writes what
 * each {@link raftkv.raft.Ready} asks, calls {@link #sync()}, and only then sends messages or
 * acknowledges clients. Implementations: the file-based write-ahead log, and an in-memory twin.
 *
 * <p>A restart is given the node's newest valid snapshot (stored apart from the log), and fits
 * the log to it: {@link Recovered#entries()} are the entries after the snapshot; a log that
 * starts after the snapshot is refused ({@link WalCorruptException}); a log that does not hold the
 * snapshot's last entry with its term (a crash between storing a leader's snapshot and
 * {@link #installSnapshot}) is restarted after the snapshot then.
 */
public interface RaftStorage extends AutoCloseable {
    /** What was durable when the node last stopped: {@code entries} follow {@code snapshot}. */
    record Recovered(HardState hardState, SnapshotMeta snapshot, List<Entry> entries) {}

    Recovered recovered();

    /** Records the new term and vote. Takes effect in order with the other writes. */
    void saveHardState(HardState hardState);

    /**
     * Appends {@code entries} (contiguous, ascending); any stored entry whose index is at least
     * {@code entries.get(0).index()} is deleted first.
     */
    void append(List<Entry> entries);

    /** Makes every write so far durable (fsync, unless the configuration turned it off for tests). */
    void sync();

    /**
     * The log restarts after {@code snapshot}: every stored entry is deleted (a follower installed
     * a leader's snapshot that its log does not cover); the next entry appended is
     * {@code snapshot.index() + 1}. Durable when it returns, together with every earlier write.
     * The snapshot itself is already durable, stored elsewhere; a restart is given its meta.
     *
     * @throws IllegalArgumentException if {@code snapshot} is not past every snapshot this storage
     *                                  has recovered, installed or compacted to
     */
    void installSnapshot(SnapshotMeta snapshot);

    /**
     * Starts a new segment now, so that a later {@code compact(i)} with {@code i} at least the
     * last index written so far frees everything written before this call. A no-op where there
     * are no segments.
     */
    void cut();

    /**
     * Frees what is stored up to {@code index}, which a durable snapshot covers; a restart must
     * then be given that snapshot (or a newer one). Whole segments at a time, so entries at or
     * below {@code index} may remain (a restart skips them). Entries up to {@code index} can no
     * longer be written again.
     *
     * @throws IllegalArgumentException if {@code index} is negative or past the last entry written
     */
    void compact(long index);

    @Override
    void close();
}
