package raftkv.wal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import raftkv.raft.Entry;

/**
 * Entries under the log's one rule: adding an entry first deletes every entry at or after its
 * index. Replaying a segment this way is what makes a truncation need no rewrite in place.
 *
 * <p>Invariant: {@code entries.get(i).index() == firstIndex + i}.
 */
final class EntryList {
    /** What {@link #term} returns for an index the list does not reach. */
    static final long NOT_HELD = -1;

    private final ArrayList<Entry> entries = new ArrayList<>();
    // The index of entries.get(0), or of the next entry to add while the list is empty.
    private long firstIndex;
    // The term of entry firstIndex - 1; 0 if that is entry 0 (none), or if it is unknown (see add).
    private long prevTerm;

    /** An empty list that continues after entry {@code prevIndex} of {@code prevTerm} (0, 0: the log starts at 1). */
    EntryList(long prevIndex, long prevTerm) {
        this.firstIndex = prevIndex + 1;
        this.prevTerm = prevTerm;
    }

    /** The index just before the first entry: where the list starts. */
    long prevIndex() {
        return firstIndex - 1;
    }

    long lastIndex() {
        return firstIndex + entries.size() - 1;
    }

    long lastTerm() {
        return entries.isEmpty() ? prevTerm : entries.get(entries.size() - 1).term();
    }

    /**
     * The term of entry {@code index}: of a held entry, or for {@link #prevIndex()} the term
     * before the first entry (0 if unknown); {@link #NOT_HELD} below or beyond those.
     */
    long term(long index) {
        if (index == prevIndex()) return prevTerm;
        if (index < firstIndex || index > lastIndex()) return NOT_HELD;
        return entries.get((int) (index - firstIndex)).term();
    }

    /**
     * Adds {@code e}, deleting every entry at or after its index first. Returns false, and
     * changes nothing, if {@code e} would leave a gap after {@link #lastIndex()}. An index below
     * the first one restarts the list there: the entries before it were compacted away, and the
     * term of the entry before it is unknown from here on.
     */
    boolean add(Entry e) {
        long index = e.index();
        if (index > lastIndex() + 1) return false;
        if (index < firstIndex) {
            entries.clear();
            firstIndex = index;
            prevTerm = 0;
        } else {
            entries.subList((int) (index - firstIndex), entries.size()).clear();
        }
        entries.add(e);
        return true;
    }

    /** Deletes every entry: the list continues after entry {@code index} of {@code term}. */
    void reset(long index, long term) {
        entries.clear();
        firstIndex = index + 1;
        prevTerm = term;
    }

    /** A read-only view; it changes with the list. */
    List<Entry> view() {
        return Collections.unmodifiableList(entries);
    }
}
