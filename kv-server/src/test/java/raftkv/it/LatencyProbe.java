package raftkv.it;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import raftkv.config.ServerSpec;

/**
 * Another client, served while an attack runs: it sets and reads its own small keys in a loop on
 * one connection, timing each call, and remembers the last version acknowledged for each key so that
 * none may be lost. {@link #window()} returns the latencies since the last call.
 */
final class LatencyProbe implements AutoCloseable {
    private static final int KEYS = 20;

    /** Latencies of a window, in microseconds, sorted; errors are calls that failed. */
    record Window(List<Long> micros, int errors) {
        long percentile(double p) {
            if (micros.isEmpty()) return 0;
            int i = (int) Math.ceil(p / 100 * micros.size()) - 1;
            return micros.get(Math.max(0, Math.min(micros.size() - 1, i)));
        }

        @Override
        public String toString() {
            return String.format("%d calls, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors", micros.size(),
                    percentile(50) / 1000.0, percentile(99) / 1000.0, percentile(100) / 1000.0, errors);
        }
    }

    private final GrpcClient client;
    private final Thread thread;
    private final Map<String, Long> acked = new ConcurrentHashMap<>();
    private List<Long> micros = new ArrayList<>();
    private int errors;
    private volatile boolean running = true;

    LatencyProbe(ServerSpec server) {
        this.client = new GrpcClient(server, 15_000);
        this.thread = new Thread(this::run, "latency-probe");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        for (long n = 0; running; n++) {
            String key = "probe-" + (n % KEYS);
            String value = "v" + n;
            long start = System.nanoTime();
            try {
                if (n % 2 == 0) {
                    acked.put(key, client.set(key, value));
                } else {
                    client.get(key);
                }
                record(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start), false);
            } catch (RuntimeException e) {
                // A NOT_FOUND read of a key not yet written is an answer; anything else counts as an error.
                boolean notFound = e instanceof io.grpc.StatusRuntimeException s
                        && s.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND;
                if (n % 2 == 0) acked.remove(key); // outcome unknown: the key holds this value or the last acked
                record(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start), !notFound);
            }
        }
    }

    private synchronized void record(long us, boolean error) {
        micros.add(us);
        if (error) errors++;
    }

    /** How many calls the current window holds. */
    synchronized int count() {
        return micros.size();
    }

    /** The calls since the last window. */
    synchronized Window window() {
        List<Long> taken = micros;
        Collections.sort(taken);
        Window w = new Window(taken, errors);
        micros = new ArrayList<>();
        errors = 0;
        return w;
    }

    /**
     * The version of the last write acknowledged for each of the probe's keys: a key's version may
     * only be that or later (the probe goes on writing).
     */
    Map<String, Long> acked() {
        return Map.copyOf(acked);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(TimeUnit.SECONDS.toMillis(30));
        client.close();
    }
}
