package raftkv.raft;

/**
 * The AppendEntries in flight to one follower, as the last index each carried, oldest first.
 * Bounds the pipeline: a leader sends no more while it is full.
 */
final class Inflights {
    private final long[] lastIndexes;
    private int start;
    private int count;

    Inflights(int capacity) {
        lastIndexes = new long[capacity];
    }

    boolean full() {
        return count == lastIndexes.length;
    }

    int count() {
        return count;
    }

    void add(long lastIndex) {
        if (full()) throw new IllegalStateException("inflights full");
        lastIndexes[(start + count) % lastIndexes.length] = lastIndex;
        count++;
    }

    /** Acknowledges every message whose last index is at or below {@code index}. */
    void freeLE(long index) {
        while (count > 0 && lastIndexes[start] <= index) {
            start = (start + 1) % lastIndexes.length;
            count--;
        }
    }

    void reset() {
        start = 0;
        count = 0;
    }
}
