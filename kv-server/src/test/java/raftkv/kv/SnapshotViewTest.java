package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static raftkv.kv.Feed.snapshot;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import raftkv.raft.Entry;

/**
 * A snapshot without a pause: {@link KvStateMachine#snapshotView()} captures the state, and the
 * view, written later (on any thread, while the machine goes on applying), writes exactly the
 * bytes the machine would have written at capture.
 */
class SnapshotViewTest {
    private static final int KEYS = 2_000;
    private static final long T0 = 1_700_000_000_000L;

    /** Drives a Feed with one random entry at a time over {@link #KEYS} keys. */
    private static final class Churn {
        final Feed feed = new Feed();
        final SplittableRandom random;
        long clock = T0;
        long sequence;
        RequestId lastId = RequestId.NONE;

        Churn(long seed) {
            this.random = new SplittableRandom(seed);
        }

        /**
         * New keys, overwrites, deletes, cas that match or not, ttls of up to 30 s that expire
         * along the way, writes with request ids (new ones and retries), ticks and no-ops.
         */
        void step() {
            clock += random.nextInt(50);
            String key = "key/" + random.nextInt(KEYS);
            String value = "v" + random.nextInt(1_000_000);
            long ttl = random.nextInt(4) == 0 ? 1 + random.nextInt(30) : 0;
            RequestId id = RequestId.NONE;
            int kind = random.nextInt(20);
            if (kind == 0 && !lastId.isNone()) {
                id = lastId;
            } else if (kind < 8) {
                id = lastId = new RequestId(1 + random.nextInt(300), ++sequence);
            }
            switch (random.nextInt(10)) {
                case 0, 1, 2, 3, 4 -> feed.set(key, value, ttl, clock, id);
                case 5, 6 -> feed.delete(key, clock, id);
                case 7 -> feed.cas(key, Math.max(1, feed.machine.appliedIndex() - random.nextInt(3_000)), value, ttl,
                        clock, id);
                case 8 -> feed.tick(clock);
                default -> feed.noop();
            }
        }

        /** An hour of silence, then a tick: every session and every ttl key goes. */
        void anHourPasses() {
            clock += Sessions.EXPIRY_MS;
            feed.tick(clock);
        }
    }

    private static byte[] write(SnapshotView view) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        view.writeTo(out);
        return out.toByteArray();
    }

    /** What a machine that applied only the first {@code count} entries of {@code log} writes. */
    private static byte[] snapshotOfPrefix(List<Entry> log, long count) {
        KvStateMachine machine = new KvStateMachine();
        for (Entry e : log.subList(0, Math.toIntExact(count))) {
            machine.apply(e);
        }
        return snapshot(machine);
    }

    @Test
    void aViewWritesTheStateAtCaptureHoweverMuchIsAppliedAfter() throws IOException {
        Churn churn = new Churn(1);
        for (int i = 0; i < 20_000; i++) churn.step();
        KvStateMachine sm = churn.feed.machine;
        byte[] atCapture = snapshot(sm);
        SnapshotView view = sm.snapshotView();

        for (int i = 0; i < 10_000; i++) churn.step();
        churn.anHourPasses();
        assertEquals(0, sm.sessions().size(), "every session expired");
        for (int i = 0; i < 10_000; i++) churn.step();

        assertArrayEquals(atCapture, write(view));
        assertArrayEquals(snapshotOfPrefix(churn.feed.log, view.index()), write(view));

        // The applies after capture did change what the view holds: each kind of change is there.
        Map<ByteString, Stored> keysThen = view.keys();
        Map<ByteString, Stored> keysNow = sm.keys();
        assertTrue(keysThen.keySet().stream().anyMatch(k -> !keysNow.containsKey(k)), "keys deleted or expired since");
        assertTrue(keysNow.keySet().stream().anyMatch(k -> !keysThen.containsKey(k)), "keys added since");
        assertTrue(keysThen.entrySet().stream().anyMatch(e -> keysNow.containsKey(e.getKey())
                && keysNow.get(e.getKey()).version() != e.getValue().version()), "keys overwritten since");
        assertTrue(view.sessions().entrySet().stream().anyMatch(e -> sm.sessions().get(e.getKey())
                .filter(s -> !s.equals(e.getValue())).isPresent()), "sessions updated since");
        assertFalse(view.keyCount() == 0 || view.sessionCount() == 0, view.toString());
    }

    @Test
    void overRandomLogsAViewCapturedAnywhereWritesWhatAMachineStoppedThereWrites() throws IOException {
        for (long seed = 1; seed <= 20; seed++) {
            List<Entry> log = RandomLog.generate(seed, 2_000);
            int cut = new SplittableRandom(seed).nextInt(log.size() + 1);
            KvStateMachine sm = new KvStateMachine();
            log.subList(0, cut).forEach(sm::apply);
            SnapshotView view = sm.snapshotView();
            log.subList(cut, log.size()).forEach(sm::apply);

            assertEquals(cut, view.index(), "seed " + seed);
            assertArrayEquals(snapshotOfPrefix(log, cut), write(view), "seed " + seed);
        }
    }

    @Test
    void theViewNamesTheLastAppliedEntryAndWhatItHolds() throws IOException {
        SnapshotView empty = new KvStateMachine().snapshotView();
        assertEquals(List.of(0L, 0L, 0L, 0, 0),
                List.of(empty.index(), empty.term(), empty.clockMs(), empty.keyCount(), empty.sessionCount()));
        assertArrayEquals(snapshot(new KvStateMachine()), write(empty));

        Feed feed = new Feed();
        feed.set("a", "1", 0, 5_000, new RequestId(7, 1));
        feed.term = 3;
        feed.set("b", "2", 30, 6_000);
        feed.noop();
        SnapshotView view = feed.machine.snapshotView();
        assertEquals(List.of(3L, 3L, 6_000L, 2, 1),
                List.of(view.index(), view.term(), view.clockMs(), view.keyCount(), view.sessionCount()));
        assertEquals("SnapshotView{applied=3@3, clockMs=6000, keys=2, sessions=1}", view.toString());
    }

    @Test
    void aViewWrittenOnAnotherThreadWhileTheOwnerAppliesWritesTheSameBytes() throws Exception {
        Churn churn = new Churn(2);
        for (int i = 0; i < 20_000; i++) churn.step();
        byte[] atCapture = snapshot(churn.feed.machine);
        SnapshotView view = churn.feed.machine.snapshotView();

        // The writer writes the view again and again until the owner stops applying; the owner
        // applies until the writer has finished three writes, so those three overlapped applies.
        AtomicInteger writes = new AtomicInteger();
        AtomicBoolean ownerDone = new AtomicBoolean();
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<List<byte[]>> written = writer.submit(() -> {
                List<byte[]> all = new ArrayList<>();
                do {
                    all.add(write(view));
                    writes.incrementAndGet();
                } while (!ownerDone.get());
                return all;
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int applied = 0;
            try {
                while ((writes.get() < 3 || applied < 1_000) && !written.isDone()) {
                    if (System.nanoTime() > deadline) fail("the writer did not finish three writes in 60 s");
                    churn.step();
                    if (++applied % 5_000 == 0) churn.anHourPasses();
                }
            } finally {
                ownerDone.set(true);
            }
            List<byte[]> all = written.get(60, TimeUnit.SECONDS);
            assertTrue(all.size() >= 3, "writes: " + all.size());
            for (byte[] bytes : all) {
                assertArrayEquals(atCapture, bytes);
            }
            assertArrayEquals(snapshotOfPrefix(churn.feed.log, view.index()), atCapture);
            assertTrue(churn.feed.machine.appliedIndex() > view.index());
        } finally {
            writer.shutdownNow();
        }
    }
}
