package raftkv.gateway;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of unfinished commands (values still arriving) that all connections of one
 * {@link TextServer} may hold together. Each connection's limits bound it alone; this bounds the
 * sum, so that many connections each holding a large value without its last bytes cannot run the
 * node out of heap. Thread-safe: connections on every event loop share it.
 */
final class BufferBudget {
    private final long limit;
    // Invariant: 0 <= used; used <= limit except for the one take that found it full and was undone.
    private final AtomicLong used = new AtomicLong();

    BufferBudget(long limit) {
        if (limit < 1) throw new IllegalArgumentException("budget must be >= 1, got " + limit);
        this.limit = limit;
    }

    /** Takes {@code bytes} (>= 0) if they fit; false, taking nothing, if not. */
    boolean tryTake(long bytes) {
        if (used.addAndGet(bytes) <= limit) return true;
        used.addAndGet(-bytes);
        return false;
    }

    /** Gives back bytes taken. */
    void give(long bytes) {
        used.addAndGet(-bytes);
    }

    long used() {
        return used.get();
    }
}
