package raftkv.jepsen;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Deadline-based waiting: for a condition to hold, or for time to pass (the nemesis's schedule). */
final class Waits {
    private static final long POLL_MS = 50;

    private Waits() {}

    /** Polls {@code condition} until it holds (true) or {@code timeout} passes (false). */
    static boolean until(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            if (!pause(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, POLL_MS))) return false;
        }
        return true;
    }

    /**
     * Lets {@code duration} pass, or less if {@code stop} turns true first (checked every poll);
     * returns false if stopped or interrupted early.
     */
    static boolean elapse(Duration duration, BooleanSupplier stop) {
        long deadline = System.nanoTime() + duration.toNanos();
        while (!stop.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return true;
            if (!pause(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, POLL_MS))) return false;
        }
        return false;
    }

    /** The poll interval of the waits above; false if interrupted (the flag is kept). */
    private static boolean pause(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
