package raftkv.wal;

import java.util.List;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;

/**
 * Stable storage for one node's Raft state: the hard state and the log. The node writes what
 * each {@link raftkv.raft.Ready} asks, calls {@link #sync()}, and only then sends messages or
 * acknowledges clients. Implementations: the file-based write-ahead log, and an in-memory twin.
 */
public interface RaftStorage extends AutoCloseable {
    /** What was durable when the node last stopped. */
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

    @Override
    void close();
}
