package raftkv.cli.bench;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import raftkv.cli.KvFailure;

/**
 * A closed-loop load generator: {@code clients} threads, each with its own {@link BenchClient},
 * each sending its next operation as soon as the previous one ends, until the duration has
 * passed or the operations are used up. Before that, unless the run only writes, every key of
 * the keyspace is written once, so that gets find values.
 */
public final class BenchRunner {
    private final BenchSettings settings;
    private final IntFunction<BenchClient> newClient;
    private final LongSupplier retries;
    private final BenchProgress progress;
    private final BenchStats stats = new BenchStats();

    /**
     * @param newClient makes client {@code i} (0-based); each is used by one thread only
     * @param retries   attempts so far that failed over to another endpoint, over all clients
     */
    public BenchRunner(BenchSettings settings, IntFunction<BenchClient> newClient, LongSupplier retries, BenchProgress progress) {
        this.settings = settings;
        this.newClient = newClient;
        this.retries = retries;
        this.progress = progress;
    }

    /** Runs the benchmark; a KvFailure if the keyspace could not be written first. */
    public BenchReport run() throws InterruptedException {
        List<BenchClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < settings.clients(); i++) clients.add(newClient.apply(i));
            if (settings.prefill() && settings.writeRatio() < 1) prefill(clients);
            return measure(clients);
        } finally {
            clients.forEach(BenchClient::close);
        }
    }

    /** Writes every key once, the clients sharing the keyspace; stops at the first failure. */
    private void prefill(List<BenchClient> clients) throws InterruptedException {
        progress.note("bench: writing the " + settings.keys() + " keys once before measuring");
        AtomicReference<String> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients.size(); c++) {
            int first = c;
            BenchClient client = clients.get(c);
            byte[] value = randomValue(new SplittableRandom(first));
            threads.add(start("bench-prefill-" + c, () -> {
                for (int k = first; k < settings.keys() && failure.get() == null; k += clients.size()) {
                    BenchOutcome o = client.set(BenchSettings.key(k), value);
                    if (!o.success()) failure.compareAndSet(null, BenchSettings.key(k) + ": " + o.type() + " " + o.kind());
                }
            }));
        }
        for (Thread t : threads) t.join();
        if (failure.get() != null) {
            throw new KvFailure(Status.Code.UNAVAILABLE, "bench: could not write the keyspace first: set " + failure.get());
        }
    }

    private BenchReport measure(List<BenchClient> clients) throws InterruptedException {
        long retriesBefore = retries.getAsLong();
        CountDownLatch done = new CountDownLatch(clients.size());
        AtomicLong tickets = new AtomicLong();
        AtomicLong lastEnd = new AtomicLong();
        AtomicReference<Throwable> crash = new AtomicReference<>();
        long seed = new SplittableRandom().nextLong();
        long start = System.nanoTime();
        long end = settings.duration() == null ? Long.MAX_VALUE : start + settings.duration().toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients.size(); c++) {
            BenchClient client = clients.get(c);
            SplittableRandom random = new SplittableRandom(seed + c);
            threads.add(start("bench-client-" + c, () -> {
                try {
                    loop(client, random, tickets, end);
                } catch (Throwable t) {
                    crash.compareAndSet(null, t);
                } finally {
                    lastEnd.accumulateAndGet(System.nanoTime(), Math::max);
                    done.countDown();
                }
            }));
        }
        long lastReport = start;
        while (!done.await(progress.intervalMillis(), TimeUnit.MILLISECONDS)) {
            long now = System.nanoTime();
            Histogram interval = stats.drain();
            long ops = stats.operations();
            double seconds = (now - lastReport) / 1e9;
            progress.update(new BenchProgress.Snapshot((now - start) / 1e9, fraction(now - start, ops), ops,
                    interval.getTotalCount() / Math.max(seconds, 1e-9),
                    interval.getTotalCount() == 0 ? 0 : interval.getValueAtPercentile(99) / 1000.0,
                    stats.errors(), stats.timeouts()));
            lastReport = now;
        }
        for (Thread t : threads) t.join();
        stats.drain();
        double elapsed = (lastEnd.get() - start) / 1e9;
        Histogram all = new Histogram(3);
        all.add(stats.setTotal());
        all.add(stats.getTotal());
        progress.finish(new BenchProgress.Snapshot(elapsed, 1, stats.operations(), all.getTotalCount() / Math.max(elapsed, 1e-9),
                all.getTotalCount() == 0 ? 0 : all.getValueAtPercentile(99) / 1000.0, stats.errors(), stats.timeouts()));
        if (crash.get() != null) throw new IllegalStateException("a bench client failed: " + crash.get(), crash.get());
        return new BenchReport(settings, elapsed, stats.operations(), stats.sets(), stats.gets(), stats.notFound(),
                stats.errors(), stats.timeouts(), retries.getAsLong() - retriesBefore, stats.errorKinds(), stats.timeoutKinds(),
                LatencyStats.of(all),
                stats.setTotal().getTotalCount() == 0 ? null : LatencyStats.of(stats.setTotal()),
                stats.getTotal().getTotalCount() == 0 ? null : LatencyStats.of(stats.getTotal()));
    }

    private void loop(BenchClient client, SplittableRandom random, AtomicLong tickets, long end) {
        byte[] value = randomValue(random);
        while (true) {
            if (settings.ops() > 0) {
                if (tickets.getAndIncrement() >= settings.ops()) return;
            } else if (System.nanoTime() >= end) {
                return;
            }
            boolean write = random.nextDouble() < settings.writeRatio();
            String key = BenchSettings.key(random.nextInt(settings.keys()));
            long t0 = System.nanoTime();
            BenchOutcome outcome = write ? client.set(key, value) : client.get(key);
            stats.record(write, outcome, System.nanoTime() - t0);
        }
    }

    private static Thread start(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true); // a hung call must not keep kvctl alive after Ctrl-C
        t.start();
        return t;
    }

    private double fraction(long elapsedNanos, long ops) {
        if (settings.duration() != null) return Math.min(1, (double) elapsedNanos / settings.duration().toNanos());
        return Math.min(1, (double) ops / settings.ops());
    }

    private byte[] randomValue(SplittableRandom random) {
        byte[] value = new byte[settings.valueSize()];
        random.nextBytes(value);
        return value;
    }
}
