package raftkv.gateway;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a deadline, without sleeping: spins, yielding the CPU. */
final class Await {
    static final Duration DEFAULT = Duration.ofSeconds(20);

    private Await() {}

    static void until(String what, BooleanSupplier condition) {
        until(what, condition, DEFAULT);
    }

    static void until(String what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.yield();
        }
    }

    /** Like {@link #until} but reports the last observed value on timeout. */
    static <T> void until(String what, Supplier<T> observed, java.util.function.Predicate<T> condition) {
        long deadline = System.nanoTime() + DEFAULT.toNanos();
        T value;
        while (!condition.test(value = observed.get())) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what + "; last seen " + value);
            }
            Thread.yield();
        }
    }
}
