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
    private final ArrayList<Entry> entries = new ArrayList<>();
    // The index of entries.get(0), or of the next entry to add while the list is empty.
    private long firstIndex;
    // The term of entry firstIndex - 1, as far as it is known (0 if not).
    private final long prevTerm;

    /** An empty list that continues after entry {@code prevIndex} of {@code prevTerm} (0, 0: the log starts at 1). */
    EntryList(long prevIndex, long prevTerm) {
        this.firstIndex = prevIndex + 1;
        this.prevTerm = prevTerm;
    }

    long lastIndex() {
        return firstIndex + entries.size() - 1;
    }

    long lastTerm() {
        return entries.isEmpty() ? prevTerm : entries.get(entries.size() - 1).term();
    }

    /**
     * Adds {@code e}, deleting every entry at or after its index first. Returns false, and
     * changes nothing, if {@code e} would leave a gap after {@link #lastIndex()}. An index below
     * the first one restarts the list there: the entries before it were compacted away.
     */
    boolean add(Entry e) {
        long index = e.index();
        if (index > lastIndex() + 1) return false;
        if (index < firstIndex) {
            entries.clear();
            firstIndex = index;
        } else {
            entries.subList((int) (index - firstIndex), entries.size()).clear();
        }
        entries.add(e);
        return true;
    }

    /** A read-only view; it changes with the list. */
    List<Entry> view() {
        return Collections.unmodifiableList(entries);
    }
}
