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
 * so {@link #restart(SnapshotMeta)} behaves as a restart after a crash that kept only what was
 * synced, fitted to the snapshot as {@link Wal#open(java.nio.file.Path, boolean, long, SnapshotMeta)}
 * fits the log. Written independently of the file log's replay, so that the tests comparing the
 * two mean something. Not thread-safe.
 *
 * <p>One difference: {@link #compact} frees exactly the entries up to its index, where the file
 * log frees whole segments; so only the twin refuses a restart with a snapshot older than a
 * compaction whose segments the file log happened to keep.
 *
 * <p>Invariant: {@code durableEntries} are contiguous, the first (if any) at {@code baseIndex + 1}.
 */
public final class MemoryStorage implements RaftStorage {
    private final Recovered recovered;
    private HardState durableHardState;
    // The durable log continues after entry baseIndex of baseTerm (0, 0: it starts at entry 1).
    private long baseIndex;
    private long baseTerm;
    private final ArrayList<Entry> durableEntries = new ArrayList<>();
    // Writes since the last sync, in order, each applying itself to the durable state.
    private final List<Runnable> pending = new ArrayList<>();
    // Index of the last entry written (synced or not).
    private long lastIndex;
    // Entries up to here are covered by a snapshot (recovered, installed, or compacted to): never written again.
    private long coveredIndex;
    private boolean closed;

    /** An empty storage, as on a node's first start. */
    public MemoryStorage() {
        this(new Recovered(HardState.INITIAL, SnapshotMeta.NONE, List.of()));
    }

    /** A storage that recovers {@code state}; its entries must be contiguous and follow its snapshot. */
    public MemoryStorage(Recovered state) {
        List<Entry> entries = state.entries();
        SnapshotMeta snapshot = state.snapshot();
        this.recovered = new Recovered(state.hardState(), snapshot, List.copyOf(entries));
        this.durableHardState = state.hardState();
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).index() != snapshot.index() + 1 + i) {
                throw new IllegalArgumentException("recovered entries do not follow snapshot " + snapshot + " contiguously at index "
                        + entries.get(i).index());
            }
        }
        this.baseIndex = snapshot.index();
        this.baseTerm = snapshot.term();
        this.durableEntries.addAll(entries);
        this.lastIndex = snapshot.index() + entries.size();
        this.coveredIndex = snapshot.index();
    }

    @Override
    public Recovered recovered() {
        return recovered;
    }

    /** What {@link #restart()} would recover now: every write up to the last sync. */
    public Recovered durableState() {
        return restart().recovered();
    }

    /** {@link #restart(SnapshotMeta)} for a node that has no snapshot, as {@link Wal#open(java.nio.file.Path, boolean)}. */
    public MemoryStorage restart() {
        return restart(SnapshotMeta.NONE);
    }

    /**
     * A new storage holding what this one made durable, as a node finds it after a crash, given
     * its newest snapshot. Works after close. Throws {@link WalCorruptException} if the log starts
     * after the snapshot; restarts the log after the snapshot if it does not hold the snapshot's
     * last entry with its term.
     */
    public MemoryStorage restart(SnapshotMeta snapshot) {
        if (baseIndex > snapshot.index()) {
            throw new WalCorruptException("the log starts after entry " + baseIndex + " but the snapshot ends at entry "
                    + snapshot.index() + ": entries " + (snapshot.index() + 1) + ".." + baseIndex + " are in neither");
        }
        long at = snapshot.index() - baseIndex; // how many durable entries the snapshot covers
        boolean holds = at == 0 ? baseTerm == snapshot.term()
                : at <= durableEntries.size() && durableEntries.get((int) at - 1).term() == snapshot.term();
        List<Entry> after = holds ? durableEntries.subList((int) at, durableEntries.size()) : List.of();
        return new MemoryStorage(new Recovered(durableHardState, snapshot, after));
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
        if (expected <= coveredIndex) {
            throw new IllegalArgumentException("entry " + expected + " is covered by a snapshot up to entry " + coveredIndex
                    + ": committed entries are never written again");
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

    /**
     * The term of entry {@code index} in what a crash now would keep (the synced writes), or -1 if
     * that holds no such entry; the base of the log (its snapshot point) counts.
     */
    public long durableTerm(long index) {
        if (index == baseIndex) return baseTerm;
        long at = index - baseIndex - 1;
        return at >= 0 && at < durableEntries.size() ? durableEntries.get((int) at).term() : -1;
    }

    /**
     * A crash in the middle of writing: the first {@code keptWrites} writes since the last sync
     * reached the disk (as a log file keeps a prefix of its records), the rest are lost, and the
     * storage is closed. {@link #restart(SnapshotMeta)} then recovers what the disk holds.
     */
    public void crash(int keptWrites) {
        int kept = Math.max(0, Math.min(keptWrites, pending.size()));
        pending.subList(0, kept).forEach(Runnable::run);
        pending.clear();
        closed = true;
    }

    /** How many writes wait for the next sync. */
    public int unsyncedWrites() {
        return pending.size();
    }

    /** Deletes every entry, then syncs, as {@link Wal#installSnapshot} does. */
    @Override
    public void installSnapshot(SnapshotMeta snapshot) {
        ensureOpen();
        if (snapshot.index() <= coveredIndex) {
            throw new IllegalArgumentException("snapshot up to entry " + snapshot.index() + " is not past the snapshot up to entry "
                    + coveredIndex + " that the log already has");
        }
        pending.add(() -> {
            durableEntries.clear();
            baseIndex = snapshot.index();
            baseTerm = snapshot.term();
        });
        sync();
        lastIndex = snapshot.index();
        coveredIndex = snapshot.index();
    }

    /** No segments here: nothing to do. */
    @Override
    public void cut() {
        ensureOpen();
    }

    /** Drops the entries up to {@code index}, in order with the other writes. */
    @Override
    public void compact(long index) {
        ensureOpen();
        if (index < 0 || index > lastIndex) {
            throw new IllegalArgumentException("cannot compact to entry " + index + ": the log ends at entry " + lastIndex);
        }
        coveredIndex = Math.max(coveredIndex, index);
        pending.add(() -> {
            if (index <= baseIndex) return;
            int drop = (int) (index - baseIndex);
            baseTerm = durableEntries.get(drop - 1).term();
            baseIndex = index;
            durableEntries.subList(0, drop).clear();
        });
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
        long keep = batch.get(0).index() - baseIndex - 1;
        durableEntries.subList((int) keep, durableEntries.size()).clear();
        durableEntries.addAll(batch);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("storage is closed");
    }
}
