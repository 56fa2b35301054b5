package raftkv.kv;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.kv.Feed.b;
import static raftkv.kv.Feed.restore;
import static raftkv.kv.Feed.snapshot;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import raftkv.kv.ApplyResult.Written;
import raftkv.raft.Entry;

/** Snapshots (internal.proto SnapshotRecord): complete, deterministic and checked. */
class KvSnapshotTest {

    @Test
    void anEmptyMachineRoundTrips() throws IOException {
        byte[] bytes = snapshot(new KvStateMachine());
        KvStateMachine restored = restore(bytes);
        assertEquals(0, restored.appliedIndex());
        assertEquals(0, restored.size());
        assertArrayEquals(bytes, snapshot(restored));
    }

    @Test
    void aMachineWithManyKeysAndSessionsRoundTrips() throws IOException {
        Feed feed = new Feed();
        SplittableRandom random = new SplittableRandom(3);
        long t = 1_700_000_000_000L;
        for (int i = 0; i < 5_000; i++) {
            byte[] value = new byte[random.nextInt(64)];
            random.nextBytes(value);
            long ttl = i % 3 == 0 ? 1 + random.nextInt(100) : 0;
            feed.command(new Command.Set(b("key/" + i), ByteString.copyFrom(value), ttl,
                    i % 10 == 0 ? new RequestId(i + 1, 1 + i) : RequestId.NONE), t + i);
        }
        for (int i = 0; i < 5_000; i += 7) {
            feed.delete("key/" + i, t + 5_000, new RequestId(-i - 1, 1));
        }
        feed.cas("key/1", 1, "x", 0, t + 5_000, new RequestId(7, 7)); // a VersionMismatch to remember
        feed.term = 4;
        feed.tick(t + 50_000);
        KvStateMachine sm = feed.machine;
        assertTrue(sm.size() > 3_000 && sm.size() < 4_300, "some keys expired: " + sm.size());
        assertTrue(sm.sessions().size() > 1_000);

        byte[] bytes = snapshot(sm);
        KvStateMachine restored = restore(bytes);
        assertEquals(sm.toString(), restored.toString());
        assertEquals(sm.appliedTerm(), restored.appliedTerm());
        assertEquals(sm.nextDeadlineMs(), restored.nextDeadlineMs());
        assertEquals(sm.keys(), restored.keys());
        assertEquals(sm.sessions().all(), restored.sessions().all());
        assertArrayEquals(bytes, snapshot(restored));

        // Both go on alike: expiry continues from the restored deadlines, retries from the sessions.
        Feed again = new Feed(restored);
        again.term = feed.term;
        for (Feed f : List.of(feed, again)) {
            // Client 11's sequence 11 set key/10: the sessions, fingerprints included, came through.
            assertEquals(new ApplyResult.RequestIdReused(), f.set("x", "y", 0, t, new RequestId(11, 11)));
            f.tick(t + 80_000);
        }
        assertArrayEquals(snapshot(sm), snapshot(restored));
    }

    @Test
    void twoMachinesFedTheSameLogEndByteForByteIdentical() {
        for (long seed = 1; seed <= 20; seed++) {
            List<Entry> log = RandomLog.generate(seed, 2_000);
            KvStateMachine a = new KvStateMachine();
            KvStateMachine b = new KvStateMachine();
            for (Entry e : log) {
                assertEquals(a.apply(e), b.apply(e), "seed " + seed + ", entry " + e.index());
            }
            assertArrayEquals(snapshot(a), snapshot(b), "seed " + seed);
        }
    }

    @Test
    void aMachineRestoredMidwayContinuesExactlyLikeOneThatAppliedEverything() throws IOException {
        for (long seed = 1; seed <= 20; seed++) {
            List<Entry> log = RandomLog.generate(seed, 2_000);
            int cut = new SplittableRandom(seed).nextInt(log.size());
            KvStateMachine straight = new KvStateMachine();
            KvStateMachine early = new KvStateMachine();
            for (Entry e : log.subList(0, cut)) {
                straight.apply(e);
                early.apply(e);
            }
            KvStateMachine restored = restore(snapshot(early));
            List<ApplyResult> expected = new ArrayList<>();
            List<ApplyResult> actual = new ArrayList<>();
            for (Entry e : log.subList(cut, log.size())) {
                expected.add(straight.apply(e));
                actual.add(restored.apply(e));
            }
            assertEquals(expected, actual, "seed " + seed);
            assertArrayEquals(snapshot(straight), snapshot(restored), "seed " + seed);
        }
    }

    @Test
    void theRandomLogExercisesEveryResult() {
        List<Class<?>> seen = new ArrayList<>();
        KvStateMachine sm = new KvStateMachine();
        for (Entry e : RandomLog.generate(1, 2_000)) {
            Class<?> c = sm.apply(e).getClass();
            if (!seen.contains(c)) seen.add(c);
        }
        assertEquals(7, seen.size(), seen.toString()); // all but NoSpace, which the default quota leaves out
    }

    @Test
    void everyFlippedBitIsDetected() throws IOException {
        byte[] bytes = snapshot(small());
        restore(bytes);
        for (int i = 0; i < bytes.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = bytes.clone();
                bad[i] ^= (byte) (1 << bit);
                int at = i;
                assertThrows(CorruptSnapshotException.class, () -> restore(bad), "byte " + at + " bit " + bit);
            }
        }
    }

    @Test
    void everyTruncationIsDetected() {
        byte[] bytes = snapshot(small());
        for (int length = 0; length < bytes.length; length++) {
            byte[] cut = Arrays.copyOf(bytes, length);
            CorruptSnapshotException e = assertThrows(CorruptSnapshotException.class, () -> restore(cut));
            assertTrue(e.getMessage().startsWith("corrupt snapshot: "), e.getMessage());
        }
    }

    @Test
    void theReaderReadsExactlyTheSnapshotAndTheWriterLeavesTheStreamOpen() throws IOException {
        boolean[] closed = {false};
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        small().writeSnapshot(out);
        assertFalse(closed[0]);
        out.write("after".getBytes(US_ASCII));
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        KvStateMachine restored = KvStateMachine.readSnapshot(in);
        assertEquals("after", new String(in.readAllBytes(), US_ASCII));
        assertEquals(2, restored.size());
    }

    /** Two keys (one expiring) and two sessions: small enough to flip every bit of. */
    static KvStateMachine small() {
        Feed feed = new Feed();
        feed.set("a", "alpha", 30, 1_000, new RequestId(5, 1));
        feed.set("b", "beta", 0, 2_000);
        feed.delete("c", 2_000, new RequestId(-9, 4));
        return feed.machine;
    }
}
