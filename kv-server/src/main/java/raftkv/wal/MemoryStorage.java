package raftkv.wal;

import java.util.ArrayList;
import java.util.List;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;

/**
 * The in-memory twin of {@link Wal}, for tests: the same rules (an append deletes the entries at
 * and after its first index, a gap is refused, a closed storage refuses everything), and the same
 * durability: writes take effect on the durable state only at {@link #sync()} (or {@link #close()}),
 * so {@link #restart()} behaves as a restart after a crash that kept only what was synced.
 * Written independently of the file log's replay, so that the tests comparing the two mean
 * something. Not thread-safe.
 *
 * <p>Invariant: {@code durableEntries} are contiguous.
 */
public final class MemoryStorage implements RaftStorage {
    private final Recovered recovered;
    private HardState durableHardState;
    private final ArrayList<Entry> durableEntries = new ArrayList<>();
    // Writes since the last sync, in order, each applying itself to the durable state.
    private final List<Runnable> pending = new ArrayList<>();
    // Index of the last entry written (synced or not).
    private long lastIndex;
    private boolean closed;

    /** An empty storage, as on a node's first start. */
    public MemoryStorage() {
        this(new Recovered(HardState.INITIAL, SnapshotMeta.NONE, List.of()));
    }

    /** A storage that recovers {@code state}; its entries must be contiguous. */
    public MemoryStorage(Recovered state) {
        List<Entry> entries = state.entries();
        this.recovered = new Recovered(state.hardState(), state.snapshot(), List.copyOf(entries));
        this.durableHardState = state.hardState();
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i).index() != entries.get(i - 1).index() + 1) {
                throw new IllegalArgumentException("recovered entries are not contiguous at index " + entries.get(i).index());
            }
        }
        this.durableEntries.addAll(entries);
        this.lastIndex = entries.isEmpty() ? state.snapshot().index() : entries.get(entries.size() - 1).index();
    }

    @Override
    public Recovered recovered() {
        return recovered;
    }

    /** What a restart would recover now: every write up to the last sync. */
    public Recovered durableState() {
        return new Recovered(durableHardState, recovered.snapshot(), List.copyOf(durableEntries));
    }

    /** A new storage holding what this one made durable, as a node finds it after a crash. Works after close. */
    public MemoryStorage restart() {
        return new MemoryStorage(durableState());
    }

    @Override
    public void saveHardState(HardState hardState) {
        ensureOpen();
        pending.add(() -> durableHardState = hardState);
    }

    @Override
    public void append(List<Entry> entries) {
        ensureOpen();
        if (entries.isEmpty()) return;
        long expected = entries.get(0).index();
        if (expected > lastIndex + 1) {
            throw new IllegalArgumentException("entry " + expected + " would leave a gap after entry " + lastIndex);
        }
        for (Entry e : entries) {
            if (e.index() != expected++) throw new IllegalArgumentException("entries are not contiguous at index " + e.index());
        }
        List<Entry> batch = List.copyOf(entries);
        pending.add(() -> replaceFrom(batch));
        lastIndex = batch.get(batch.size() - 1).index();
    }

    @Override
    public void sync() {
        ensureOpen();
        pending.forEach(Runnable::run);
        pending.clear();
    }

    /** Makes every write durable, as {@link Wal#close()} does. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        sync();
        closed = true;
    }

    /** Deletes every durable entry at or after the batch's first index, then adds the batch. */
    private void replaceFrom(List<Entry> batch) {
        if (!durableEntries.isEmpty()) {
            long keep = batch.get(0).index() - durableEntries.get(0).index();
            durableEntries.subList((int) Math.max(0, Math.min(keep, durableEntries.size())), durableEntries.size()).clear();
        }
        durableEntries.addAll(batch);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("storage is closed");
    }
}
