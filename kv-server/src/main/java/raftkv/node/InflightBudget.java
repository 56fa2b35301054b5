package raftkv.node;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of client commands a node holds between {@link RaftNode#submit} and their answer:
 * queued for the loop, proposed and not yet committed, or waiting for a read. A command that would
 * take the total past the cap is not taken (the node answers it as not executed, and the service
 * retries it after a pause until its deadline): backpressure, never heap growth. One command is
 * always taken when nothing else is held, whatever its size, so a value up to maxValueBytes always
 * gets through. Thread-safe.
 */
final class InflightBudget {
    /** What a command costs besides its key and value: the request, the future, the entry. */
    static final int OVERHEAD_BYTES = 128;

    private final long capBytes;
    // Invariant: 0 <= held; held <= capBytes unless one command alone was taken over the cap.
    private final AtomicLong held = new AtomicLong();

    InflightBudget(long capBytes) {
        if (capBytes < 1) throw new IllegalArgumentException("the in-flight cap must be positive, got " + capBytes);
        this.capBytes = capBytes;
    }

    /** What {@code request} counts for. */
    static long cost(KvRequest request) {
        long bytes = OVERHEAD_BYTES + request.key().size();
        if (request instanceof KvRequest.Set s) bytes += s.value().size();
        if (request instanceof KvRequest.Cas c) bytes += c.value().size();
        return bytes;
    }

    /** Takes {@code bytes} if they fit (or if nothing is held); false if the command must wait. */
    boolean tryAcquire(long bytes) {
        while (true) {
            long now = held.get();
            if (now > 0 && now + bytes > capBytes) return false;
            if (held.compareAndSet(now, now + bytes)) return true;
        }
    }

    void release(long bytes) {
        held.addAndGet(-bytes);
    }

    long heldBytes() {
        return held.get();
    }

    long capBytes() {
        return capBytes;
    }
}
