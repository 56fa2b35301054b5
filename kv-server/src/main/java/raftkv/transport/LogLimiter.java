package raftkv.transport;

import java.time.Duration;

/**
 * Lets a log line through at most once per interval, so that a peer that stays down, or keeps
 * sending something wrong, is reported without flooding the log. Thread-safe.
 */
final class LogLimiter {
    private final long intervalNanos;
    private boolean used;
    private long lastNanos;

    LogLimiter(Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    /** True if a line may be logged now; the caller then logs it (else logs at DEBUG, or not at all). */
    synchronized boolean allow() {
        long now = System.nanoTime();
        if (used && now - lastNanos < intervalNanos) return false;
        used = true;
        lastNanos = now;
        return true;
    }
}
