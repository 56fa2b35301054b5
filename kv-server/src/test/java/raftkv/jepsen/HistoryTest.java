package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The recorder: ids and times as the clock gave them, one completion per op, safe across threads. */
class HistoryTest {
    @Test
    void recordsInvocationAndCompletionTimes() {
        AtomicLong clock = new AtomicLong();
        History h = new History(clock::incrementAndGet);
        History.Pending set = h.invoke(1, new Call.Set("k", "a"));
        History.Pending get = h.invoke(2, new Call.Get("k"));
        set.ok(7);
        get.value("a", 0);
        assertEquals(List.of(
                new Op(1, 1, new Call.Set("k", "a"), new Outcome.Ok(7), 1, 3),
                new Op(2, 2, new Call.Get("k"), new Outcome.Value("a", 0), 2, 4)), h.ops());
    }

    @Test
    void pendingOperationsAppearAsInfoThatNeverCompleted() {
        History h = new History(new AtomicLong()::incrementAndGet);
        h.invoke(1, new Call.Delete("k"));
        Op op = h.ops().get(0);
        assertTrue(op.isInfo());
        assertEquals(Op.NEVER, op.complete());
    }

    @Test
    void anOperationCompletesOnce() {
        History h = new History(new AtomicLong()::incrementAndGet);
        History.Pending p = h.invoke(1, new Call.Cas("k", 3, "v"));
        assertThrows(IllegalArgumentException.class, p::deleted, "a cas cannot answer deleted");
        p.versionMismatch();
        assertThrows(IllegalStateException.class, () -> p.info("late"));
        assertEquals(new Outcome.VersionMismatch(), h.ops().get(0).outcome());
    }

    // Threads share a register that is linearizable (a lock around it); whatever the interleaving,
    // the recorded history must check as linearizable.
    @Test
    void manyThreadsRecordALinearizableHistory() throws Exception {
        AtomicLong clock = new AtomicLong();
        History h = new History(clock::incrementAndGet);
        Map<String, Object[]> register = new HashMap<>(); // key -> {value, version}
        AtomicLong versions = new AtomicLong();
        int threads = 8;
        int opsEach = 300;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int process = t;
                done.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(process);
                    for (int i = 0; i < opsEach; i++) {
                        String key = "k" + rnd.nextInt(3);
                        if (rnd.nextBoolean()) {
                            History.Pending p = h.invoke(process, new Call.Set(key, process + "-" + i));
                            long v;
                            synchronized (register) {
                                v = versions.incrementAndGet();
                                register.put(key, new Object[] {process + "-" + i, v});
                            }
                            p.ok(v);
                        } else {
                            History.Pending p = h.invoke(process, new Call.GetM(key));
                            Object[] cell;
                            synchronized (register) {
                                cell = register.get(key);
                            }
                            if (cell == null) p.notFound();
                            else p.value((String) cell[0], (Long) cell[1]);
                        }
                    }
                }));
            }
            for (Future<?> f : done) f.get(1, TimeUnit.MINUTES);
        } finally {
            pool.shutdownNow();
        }
        List<Op> ops = h.ops();
        assertEquals(threads * opsEach, ops.size());
        for (int i = 0; i < ops.size(); i++) assertEquals(i + 1, ops.get(i).id());
        CheckResult r = HistoryChecker.check(ops);
        assertEquals(Verdict.LINEARIZABLE, r.verdict(), r::explain);
    }
}
