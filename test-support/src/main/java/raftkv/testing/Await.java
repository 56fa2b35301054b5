package raftkv.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The tests' one way to wait: for a condition to hold, with a deadline, never for time to pass.
 * The condition is polled, at first every millisecond and then less often (up to every 50 ms), so
 * that a fast condition is seen at once and a slow one costs little CPU on a shared machine.
 */
public final class Await {
    private static final long FIRST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private Await() {}

    /** Polls {@code condition} until it holds; fails the test, naming {@code what}, once {@code timeout} has passed. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        if (!holds(timeout, condition)) {
            if (Thread.currentThread().isInterrupted()) throw new AssertionError("interrupted waiting for " + what);
            throw new AssertionError("timed out after " + timeout + " waiting for " + what);
        }
    }

    /**
     * Polls {@code observed} until {@code condition} holds for what it returns, and returns that;
     * fails the test with the last value seen once {@code timeout} has passed.
     */
    public static <T> T until(Duration timeout, String what, Supplier<T> observed, Predicate<? super T> condition) {
        Object[] last = new Object[1];
        BooleanSupplier check = () -> {
            T value = observed.get();
            last[0] = value;
            return condition.test(value);
        };
        if (!holds(timeout, check)) {
            throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; last seen: " + last[0]);
        }
        @SuppressWarnings("unchecked")
        T value = (T) last[0];
        return value;
    }

    /**
     * Polls {@code condition} until it holds (true), or until {@code timeout} has passed or the
     * thread is interrupted (false; the interrupt flag is kept).
     */
    public static boolean holds(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long poll = FIRST_POLL_NANOS;
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) return false;
            LockSupport.parkNanos(Math.min(poll, left));
            poll = Math.min(poll * 2, MAX_POLL_NANOS);
        }
        return true;
    }
}
