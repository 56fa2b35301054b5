package raftkv.sim;

import java.util.ArrayList;
import java.util.List;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;

/**
 * A node's stable storage as a crash leaves it: the hard state, the newest snapshot (its
 * metadata and the state machine it captured) and the entries after it. Writes are applied
 * in order; a crash in the middle of a batch keeps a prefix of it, as a log file would.
 */
final class SimDisk {
    HardState hardState = HardState.INITIAL;
    SnapshotMeta snapshot = SnapshotMeta.NONE;
    Register snapshotState = Register.EMPTY;
    final List<Entry> entries = new ArrayList<>();

    void saveHardState(HardState hs) {
        hardState = hs;
    }

    /**
     * Saves {@code meta} and its state as the newest snapshot, with the rule a restart relies on:
     * entries at or below its index are dropped, and a snapshot whose own entry (same index and
     * term) the log does not hold replaces the log altogether.
     */
    void saveSnapshot(SnapshotMeta meta, Register state) {
        if (meta.index() < snapshot.index()) {
            throw new SafetyViolation("snapshot " + meta + " saved over the newer " + snapshot);
        }
        boolean logHoldsIt = term(meta.index()) == meta.term();
        snapshot = meta;
        snapshotState = state;
        if (logHoldsIt) {
            entries.removeIf(e -> e.index() <= meta.index());
        } else {
            entries.clear();
        }
    }

    void dropLog() {
        entries.clear();
    }

    /**
     * Appends {@code e}, first deleting any stored entry at or after its index. Returns the
     * entries deleted, so that the caller can check none of them was committed.
     */
    List<Entry> append(Entry e) {
        long first = snapshot.index() + 1;
        int keep = (int) (e.index() - first);
        if (keep < 0 || keep > entries.size()) {
            throw new SafetyViolation("disk gap: entry " + e.index() + " after " + (first + entries.size() - 1));
        }
        List<Entry> removed = new ArrayList<>(entries.subList(keep, entries.size()));
        entries.subList(keep, entries.size()).clear();
        entries.add(e);
        return removed;
    }

    /** The (index, term) of entry {@code index}, or -1 if absent. */
    long term(long index) {
        if (index == snapshot.index()) return snapshot.term();
        long off = index - snapshot.index() - 1;
        if (off < 0 || off >= entries.size()) return -1;
        return entries.get((int) off).term();
    }
}
