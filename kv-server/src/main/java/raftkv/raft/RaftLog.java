package raftkv.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * The in-memory view of one node's log: a snapshot point followed by entries, with the
 * commit and apply cursors and the boundary between persisted and not-yet-persisted entries.
 *
 * <p>Invariants: {@code snapshot.index <= applied <= committed <= lastIndex()}, and
 * {@code snapshot.index <= stableTo <= lastIndex()}. Entries are contiguous:
 * {@code entries.get(i).index() == snapshot.index() + 1 + i}.
 */
final class RaftLog {
    private SnapshotMeta snapshot;
    // The membership as of snapshot.index(), or null if no membership change preceded it.
    private Membership snapshotMembership;
    private final ArrayList<Entry> entries = new ArrayList<>();
    private long committed;
    private long applied;
    // Last index known to be on stable storage; entries after it still have to be persisted.
    private long stableTo;

    RaftLog(SnapshotMeta snapshot, Membership snapshotMembership, List<Entry> stored) {
        this.snapshot = snapshot;
        this.snapshotMembership = snapshotMembership;
        for (Entry e : stored) {
            appendOne(e);
        }
        committed = snapshot.index();
        applied = snapshot.index();
        stableTo = lastIndex();
    }

    SnapshotMeta snapshot() {
        return snapshot;
    }

    /** The membership as of the snapshot point, or null if none was recorded before it. */
    Membership snapshotMembership() {
        return snapshotMembership;
    }

    /** The last {@link EntryType#CONFIG} entry at or below {@code index} still in the log, or null. */
    Entry lastConfigAtOrBelow(long index) {
        for (long i = Math.min(index, lastIndex()); i > snapshot.index(); i--) {
            Entry e = entry(i);
            if (e.type() == EntryType.CONFIG) return e;
        }
        return null;
    }

    /** The membership as of {@code index} (at least the snapshot point), or null if no change is known by then. */
    Membership membershipAt(long index) {
        Entry e = lastConfigAtOrBelow(index);
        return e != null ? MembershipCodec.decode(e.data()) : snapshotMembership;
    }

    long firstIndex() {
        return snapshot.index() + 1;
    }

    long lastIndex() {
        return snapshot.index() + entries.size();
    }

    long lastTerm() {
        return term(lastIndex());
    }

    long committed() {
        return committed;
    }

    /** The last index known to be on stable storage. */
    long stableIndex() {
        return stableTo;
    }

    long applied() {
        return applied;
    }

    /** The term of the entry at {@code index}, or -1 if it is compacted away or beyond the end. */
    long term(long index) {
        if (index == snapshot.index()) return snapshot.term();
        if (index < snapshot.index() || index > lastIndex()) return -1;
        return entries.get(offset(index)).term();
    }

    boolean matchTerm(long index, long term) {
        return term(index) == term;
    }

    Entry entry(long index) {
        return entries.get(offset(index));
    }

    /** Raft paper 5.4.1: is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours? */
    boolean isUpToDate(long otherLastIndex, long otherLastTerm) {
        long ourLastTerm = lastTerm();
        return otherLastTerm > ourLastTerm || (otherLastTerm == ourLastTerm && otherLastIndex >= lastIndex());
    }

    /** Entries in [from, to], at most {@code maxEntries} and about {@code maxBytes} (the first always fits). */
    List<Entry> slice(long from, long to, int maxEntries, long maxBytes) {
        if (from < firstIndex() || to > lastIndex()) {
            throw new IllegalArgumentException("slice [" + from + ", " + to + "] outside log [" + firstIndex() + ", " + lastIndex() + "]");
        }
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = from; i <= to && out.size() < maxEntries; i++) {
            Entry e = entry(i);
            bytes += e.sizeBytes();
            if (!out.isEmpty() && bytes > maxBytes) break;
            out.add(e);
        }
        return out;
    }

    /** Leader append: the entry must come right after the last one. */
    void append(Entry e) {
        appendOne(e);
    }

    /**
     * The index of the first entry in {@code incoming} that is not already in the log with the
     * same term (either missing or conflicting), or 0 if the log already holds them all.
     */
    long findConflict(List<Entry> incoming) {
        for (Entry e : incoming) {
            if (e.index() <= snapshot.index()) continue; // covered by the snapshot, hence committed and matching
            if (!matchTerm(e.index(), e.term())) return e.index();
        }
        return 0;
    }

    /**
     * Replaces every entry from {@code suffix.get(0).index()} on with {@code suffix} (Raft paper 5.3:
     * delete the conflicting entry and all that follow it).
     */
    void truncateAndAppend(List<Entry> suffix) {
        long from = suffix.get(0).index();
        if (from <= committed) {
            throw new IllegalStateException("refusing to overwrite committed entry " + from + " (committed " + committed + ")");
        }
        if (from > lastIndex() + 1) {
            throw new IllegalStateException("gap: appending " + from + " after last " + lastIndex());
        }
        while (lastIndex() >= from) {
            entries.remove(entries.size() - 1);
        }
        stableTo = Math.min(stableTo, from - 1);
        for (Entry e : suffix) {
            appendOne(e);
        }
    }

    /**
     * The largest index at or below {@code index} whose term is at most {@code term}; used by the
     * fast back-off on a rejected AppendEntries. Stops at the snapshot point.
     */
    long findConflictByTerm(long index, long term) {
        long i = Math.min(index, lastIndex());
        while (i > snapshot.index()) {
            if (term(i) <= term) return i;
            i--;
        }
        return i;
    }

    void commitTo(long index) {
        if (index <= committed) return;
        if (index > lastIndex()) {
            throw new IllegalStateException("commit " + index + " beyond last index " + lastIndex());
        }
        committed = index;
    }

    /** Committed entries not yet handed out for applying. */
    List<Entry> nextCommitted() {
        if (committed == applied) return List.of();
        return new ArrayList<>(entries.subList(offset(applied + 1), offset(committed) + 1));
    }

    void appliedTo(long index) {
        if (index < applied || index > committed) {
            throw new IllegalStateException("applied " + index + " outside [" + applied + ", " + committed + "]");
        }
        applied = index;
    }

    /** Entries not yet on stable storage. */
    List<Entry> unstable() {
        if (stableTo == lastIndex()) return List.of();
        return new ArrayList<>(entries.subList(offset(stableTo + 1), entries.size()));
    }

    void stableTo(long index) {
        stableTo = Math.max(stableTo, Math.min(index, lastIndex()));
    }

    /** A follower accepted a snapshot that its log does not cover: the log restarts after it. */
    void restore(SnapshotMeta s, Membership membership) {
        if (s.index() <= committed) {
            throw new IllegalStateException("snapshot " + s + " is behind commit " + committed);
        }
        entries.clear();
        snapshot = s;
        snapshotMembership = membership;
        committed = s.index();
        applied = s.index();
        stableTo = s.index();
    }

    /** Drops the entries up to {@code index}, which the state machine has captured in a snapshot. */
    void compact(long index) {
        if (index <= snapshot.index()) return;
        if (index > applied) {
            throw new IllegalStateException("cannot compact to " + index + " beyond applied " + applied);
        }
        long t = term(index);
        snapshotMembership = membershipAt(index);
        entries.subList(0, offset(index) + 1).clear();
        snapshot = new SnapshotMeta(index, t);
    }

    private void appendOne(Entry e) {
        if (e.index() != lastIndex() + 1) {
            throw new IllegalStateException("non-contiguous append: " + e.index() + " after " + lastIndex());
        }
        if (e.term() < lastTerm()) {
            throw new IllegalStateException("term going backwards at " + e.index() + ": " + e.term() + " < " + lastTerm());
        }
        entries.add(e);
    }

    private int offset(long index) {
        long off = index - snapshot.index() - 1;
        if (off < 0 || off >= entries.size()) {
            throw new IndexOutOfBoundsException("index " + index + " not in log [" + firstIndex() + ", " + lastIndex() + "]");
        }
        return (int) off;
    }
}
