package raftkv.node;

import java.util.concurrent.atomic.AtomicLong;

/** A clock a test moves by hand, whose wall clock fails the test if anything reads it: no deadline may. */
final class TestClock implements Clock {
    private final AtomicLong nanos;

    TestClock(long startNanos) {
        this.nanos = new AtomicLong(startNanos);
    }

    @Override
    public long wallMillis() {
        throw new AssertionError("the wall clock was read");
    }

    @Override
    public long nanos() {
        return nanos.get();
    }

    void advance(long byNanos) {
        nanos.addAndGet(byNanos);
    }
}
