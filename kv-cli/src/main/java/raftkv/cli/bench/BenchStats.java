package raftkv.cli.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the clients of a run record, written by every client thread and read by one reporting
 * thread. Latencies of successful operations go to an HdrHistogram {@link Recorder} per
 * operation type, in microseconds; the reader drains them into running totals with
 * {@link #drain()}, which also yields the interval's numbers for progress reports.
 */
final class BenchStats {
    private static final int SIGNIFICANT_DIGITS = 3;

    private final Recorder setLatency = new Recorder(SIGNIFICANT_DIGITS);
    private final Recorder getLatency = new Recorder(SIGNIFICANT_DIGITS);
    private final LongAdder sets = new LongAdder();
    private final LongAdder gets = new LongAdder();
    private final LongAdder notFound = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> timeoutKinds = new ConcurrentHashMap<>();

    // Owned by the reading thread: the totals drained so far.
    private final Histogram setTotal = new Histogram(SIGNIFICANT_DIGITS);
    private final Histogram getTotal = new Histogram(SIGNIFICANT_DIGITS);

    /** Called by a client thread after each operation. */
    void record(boolean write, BenchOutcome outcome, long nanos) {
        (write ? sets : gets).increment();
        switch (outcome.type()) {
            case OK -> { }
            case NOT_FOUND -> notFound.increment();
            case TIMEOUT -> timeouts.increment();
            case ERROR -> errors.increment();
        }
        if (outcome.success()) {
            (write ? setLatency : getLatency).recordValue(Math.max(1, nanos / 1000));
        } else {
            Map<String, LongAdder> kinds = outcome.type() == BenchOutcome.Type.TIMEOUT ? timeoutKinds : errorKinds;
            kinds.computeIfAbsent(outcome.kind(), k -> new LongAdder()).increment();
        }
    }

    /** Moves what was recorded since the last call into the totals; returns that interval's latencies. */
    Histogram drain() {
        Histogram s = setLatency.getIntervalHistogram();
        Histogram g = getLatency.getIntervalHistogram();
        setTotal.add(s);
        getTotal.add(g);
        Histogram interval = new Histogram(SIGNIFICANT_DIGITS);
        interval.add(s);
        interval.add(g);
        return interval;
    }

    long operations() {
        return sets.sum() + gets.sum();
    }

    long sets() {
        return sets.sum();
    }

    long gets() {
        return gets.sum();
    }

    long notFound() {
        return notFound.sum();
    }

    long timeouts() {
        return timeouts.sum();
    }

    long errors() {
        return errors.sum();
    }

    /** Operations that ended in an error, by kind, sorted by name. */
    Map<String, Long> errorKinds() {
        return sorted(errorKinds);
    }

    /** Operations that timed out, by kind, sorted by name. */
    Map<String, Long> timeoutKinds() {
        return sorted(timeoutKinds);
    }

    private static Map<String, Long> sorted(Map<String, LongAdder> counts) {
        Map<String, Long> kinds = new TreeMap<>();
        counts.forEach((k, v) -> kinds.put(k, v.sum()));
        return kinds;
    }

    Histogram setTotal() {
        return setTotal;
    }

    Histogram getTotal() {
        return getTotal;
    }
}
