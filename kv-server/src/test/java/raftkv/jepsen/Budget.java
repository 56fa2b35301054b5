package raftkv.jepsen;

import java.time.Duration;

/**
 * How long a check may run: a deadline shared by all keys and a number of search steps per key
 * (one step tries one operation in one configuration). When either runs out the verdict is UNKNOWN.
 */
public record Budget(Duration timeLimit, long maxStepsPerKey) {
    /**
     * A minute, and half a billion steps per key (some tens of seconds). A search that runs out of
     * memory also ends UNKNOWN.
     */
    public static final Budget DEFAULT = new Budget(Duration.ofSeconds(60), 500_000_000L);

    public Budget {
        if (timeLimit.isNegative() || maxStepsPerKey < 1) throw new IllegalArgumentException("bad budget " + timeLimit + ", " + maxStepsPerKey);
    }

    /** The running form, with the deadline fixed from now. */
    Clock start() {
        return new Clock(System.nanoTime() + timeLimit.toNanos(), maxStepsPerKey);
    }

    /** A started budget; safe to share between the threads checking different keys. */
    record Clock(long deadlineNanos, long maxStepsPerKey) {
        boolean exhausted(long steps) {
            return steps > maxStepsPerKey || System.nanoTime() - deadlineNanos > 0;
        }
    }
}
