package raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;
import raftkv.wal.MemoryStorage;
import raftkv.wal.RaftStorage;

/**
 * A simulated node's log: the production {@link MemoryStorage} (a crash keeps what was synced,
 * plus a prefix of the writes after it), seen by the invariants as it is written, and able to
 * crash the node at its next sync. Keeps its own copy of the entries written (synced or not), so
 * that every append is checked for Log Matching against its predecessor and every entry it
 * replaces is checked against what was committed.
 */
final class SimStorage implements RaftStorage {
    /** Thrown out of the node step when the nemesis crashes a node in the middle of a write. */
    static final class Crash extends RuntimeException {
        Crash() {
            super("simulated crash", null, false, false);
        }
    }

    private final SimNode node;
    private final MemoryStorage disk;
    private final Invariants invariants;
    // Every entry written, synced or not, after entry baseIndex (of baseTerm).
    private final List<Entry> written = new ArrayList<>();
    private long baseIndex;
    private long baseTerm;
    // Set by the nemesis: the next sync crashes the node instead.
    boolean crashAtNextSync;

    SimStorage(SimNode node, MemoryStorage disk, Invariants invariants) {
        this.node = node;
        this.disk = disk;
        this.invariants = invariants;
        Recovered r = disk.recovered();
        baseIndex = r.snapshot().index();
        baseTerm = r.snapshot().term();
        written.addAll(r.entries());
    }

    MemoryStorage disk() {
        return disk;
    }

    @Override
    public Recovered recovered() {
        return disk.recovered();
    }

    @Override
    public void saveHardState(HardState hardState) {
        disk.saveHardState(hardState);
    }

    @Override
    public void append(List<Entry> entries) {
        disk.append(entries);
        long first = entries.get(0).index();
        int keep = (int) (first - baseIndex - 1);
        List<Entry> replaced = written.subList(keep, written.size());
        invariants.onTruncate(node.id, new ArrayList<>(replaced));
        replaced.clear();
        for (Entry e : entries) {
            invariants.onPersist(node.id, e, term(e.index() - 1));
            written.add(e);
        }
    }

    @Override
    public void sync() {
        if (crashAtNextSync) throw new Crash();
        disk.sync();
    }

    @Override
    public void installSnapshot(SnapshotMeta snapshot) {
        disk.installSnapshot(snapshot);
        written.clear();
        baseIndex = snapshot.index();
        baseTerm = snapshot.term();
    }

    @Override
    public void cut() {
        disk.cut();
    }

    @Override
    public void compact(long index) {
        disk.compact(index);
        if (index <= baseIndex) return;
        int drop = (int) Math.min(index - baseIndex, written.size());
        if (drop > 0) baseTerm = written.get(drop - 1).term();
        baseIndex = index;
        written.subList(0, drop).clear();
    }

    @Override
    public void close() {
        disk.close();
    }

    /** The term of entry {@code index} as written so far, or -1 if this log does not hold it. */
    private long term(long index) {
        if (index == baseIndex) return baseTerm;
        long at = index - baseIndex - 1;
        return at >= 0 && at < written.size() ? written.get((int) at).term() : -1;
    }
}
