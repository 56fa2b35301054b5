package raftkv.jepsen;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Letting time pass on the nemesis's schedule (waiting for a condition is {@code raftkv.testing.Await}). */
final class Waits {
    private static final long POLL_MS = 50;

    private Waits() {}

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

    /** The poll interval of the wait above; false if interrupted (the flag is kept). */
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
