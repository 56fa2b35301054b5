package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import raftkv.kv.ApplyResult.Deleted;
import raftkv.kv.ApplyResult.NoSpace;
import raftkv.kv.ApplyResult.RequestIdReused;
import raftkv.kv.ApplyResult.Written;

/** The bounds of the replicated state (SPEC section 11): the store quota and the session table. */
class LimitsTest {
    // Room for two keys of 1 + 100 bytes, not three.
    private static final long QUOTA = 2 * KvLimits.entryBytes(1, 100) + 50;

    private static String bytes(int n) {
        return "x".repeat(n);
    }

    private static Feed feed(long quota, int maxSessions) {
        KvStateMachine sm = new KvStateMachine();
        sm.limits(new KvLimits(quota, maxSessions));
        return new Feed(sm);
    }

    @Test
    void pastTheQuotaWritesThatAddDataAreRefusedAndNothingIsWritten() {
        Feed feed = feed(QUOTA, 10);
        assertEquals(new Written(1), feed.set("a", bytes(100), 0, 0));
        assertEquals(new Written(2), feed.set("b", bytes(100), 0, 0));
        assertEquals(new NoSpace(), feed.set("c", bytes(100), 0, 0));
        assertEquals(new NoSpace(), feed.set("a", bytes(200), 0, 0), "growing a key");
        long version = feed.get("b", 0).orElseThrow().version();
        assertEquals(new NoSpace(), feed.cas("b", version, bytes(200), 0, 0));
        assertEquals(Optional.empty(), feed.get("c", 0));
        assertEquals(bytes(100), feed.value("a", 0));
        assertEquals(2 * KvLimits.entryBytes(1, 100), feed.machine.storeBytes());
    }

    @Test
    void readsDeletesAndWritesThatDoNotGrowTheStoreStillWork() {
        Feed feed = feed(QUOTA, 10);
        feed.set("a", bytes(100), 0, 0);
        feed.set("b", bytes(100), 0, 0);
        assertEquals(new NoSpace(), feed.set("c", bytes(100), 0, 0));
        assertEquals(new Written(4), feed.set("a", bytes(100), 0, 0), "same size");
        assertEquals(new Written(5), feed.set("a", bytes(10), 0, 0), "shrinks");
        assertEquals(new Written(6), feed.cas("b", 2, bytes(5), 0, 0), "shrinks");
        assertEquals(new Deleted(), feed.delete("a", 0));
        assertEquals(new Written(8), feed.set("c", bytes(100), 0, 0), "room again after the delete");
    }

    @Test
    void expiryFreesRoomToo() {
        Feed feed = feed(QUOTA, 10);
        feed.set("a", bytes(100), 1, 0);
        feed.set("b", bytes(100), 0, 0);
        assertEquals(new NoSpace(), feed.set("c", bytes(100), 0, 500));
        assertEquals(new Written(4), feed.set("c", bytes(100), 0, 1_000), "a expired at 1000");
    }

    @Test
    void aRefusedWriteIsNotRememberedSoItsRetryAppliesOnceThereIsRoom() {
        Feed feed = feed(QUOTA, 10);
        feed.set("a", bytes(100), 0, 0);
        feed.set("b", bytes(100), 0, 0);
        RequestId id = new RequestId(9, 1);
        assertEquals(new NoSpace(), feed.set("c", bytes(100), 0, 0, id));
        feed.delete("a", 0);
        assertEquals(new Written(5), feed.set("c", bytes(100), 0, 0, id));
        assertEquals(new Written(5), feed.set("c", bytes(100), 0, 0, id));
    }

    @Test
    void theStoreSizeIsRebuiltFromASnapshotSoTheQuotaHoldsAfterARestore() throws IOException {
        Feed feed = feed(QUOTA, 10);
        feed.set("a", bytes(100), 0, 0);
        feed.set("b", bytes(100), 60, 0);
        KvStateMachine restored = Feed.restore(Feed.snapshot(feed.machine));
        assertEquals(feed.machine.storeBytes(), restored.storeBytes());
        restored.limits(feed.machine.limits());
        Feed after = new Feed(restored);
        assertEquals(new NoSpace(), after.set("c", bytes(100), 0, 0));
        after.tick(60_000);
        assertEquals(KvLimits.entryBytes(1, 100), restored.storeBytes(), "b expired after the restore");
    }

    @Test
    void aRetryWithAnotherCommandIsRefusedForEveryKindOfWrite() {
        Feed feed = feed(1 << 20, 10);
        feed.set("k", "v", 0, 0, new RequestId(1, 1));
        assertEquals(new RequestIdReused(), feed.set("k", "v", 5, 0, new RequestId(1, 1)), "another ttl");
        assertEquals(new RequestIdReused(), feed.set("k2", "v", 0, 0, new RequestId(1, 1)), "another key");
        assertEquals(new RequestIdReused(), feed.delete("k", 0, new RequestId(1, 1)), "another kind");
        assertEquals(new Written(1), feed.set("k", "v", 0, 0, new RequestId(1, 1)), "the same command still is a retry");
        assertEquals("v", feed.value("k", 0));
        assertEquals(Optional.empty(), feed.get("k2", 0));
        feed.cas("k", 1, "w", 0, 0, new RequestId(1, 2));
        assertEquals(new RequestIdReused(), feed.cas("k", 2, "w", 0, 0, new RequestId(1, 2)), "another expected version");
    }

    @Test
    void fingerprintsTellFieldsApartAndIgnoreTheRequestId() {
        ByteString k = Feed.b("k");
        long set = CommandCodec.fingerprint(new Command.Set(k, Feed.b("v"), 0, RequestId.NONE));
        assertEquals(set, CommandCodec.fingerprint(new Command.Set(k, Feed.b("v"), 0, new RequestId(3, 4))));
        assertNotEquals(set, CommandCodec.fingerprint(new Command.Set(Feed.b("kv"), Feed.b(""), 0, RequestId.NONE)));
        assertNotEquals(set, CommandCodec.fingerprint(new Command.Cas(k, 1, Feed.b("v"), 0, RequestId.NONE)));
        assertTrue(set >= 0 && set <= 0xFFFF_FFFFL);
    }

    @Test
    void theSessionTableForgetsTheLeastRecentlyUsedPastItsBound() {
        Feed feed = feed(1 << 20, 3);
        for (long c = 1; c <= 3; c++) feed.set("k", "v", 0, c, new RequestId(c, 1));
        feed.set("k", "v", 0, 10, new RequestId(1, 1)); // a retry: client 1 is now the most recent
        feed.set("k", "v", 0, 11, new RequestId(4, 1));
        assertEquals(List.of(1L, 3L, 4L), List.copyOf(feed.machine.sessions().all().keySet()));
        feed.set("k", "v", 0, 11, new RequestId(6, 1));
        feed.set("k", "v", 0, 11, new RequestId(5, 1));
        assertEquals(List.of(4L, 5L, 6L), List.copyOf(feed.machine.sessions().all().keySet()));
        // Ties in last use (all at 11 now) go by client id, so every replica forgets the same one.
        feed.set("k", "v", 0, 11, new RequestId(7, 1));
        assertEquals(List.of(5L, 6L, 7L), List.copyOf(feed.machine.sessions().all().keySet()));
        // The client just written is never the one forgotten, though it has the lowest id of the tie.
        feed.set("k", "v", 0, 11, new RequestId(2, 1));
        assertEquals(List.of(2L, 6L, 7L), List.copyOf(feed.machine.sessions().all().keySet()));
        assertEquals(new Written(feed.machine.appliedIndex()), feed.set("k", "v", 0, 11, new RequestId(2, 1)));
    }

    @Test
    void manyDistinctClientIdsKeepTheTableAtItsBoundAndReplicasAgree() throws IOException {
        Feed a = feed(1 << 30, 1_000);
        for (long c = 1; c <= 20_000; c++) {
            a.set("k" + (c % 7), "v", 0, c / 3, new RequestId(c * 0x9E3779B97F4A7C15L | 1, 1));
        }
        assertEquals(1_000, a.machine.sessions().size());
        KvStateMachine b = new KvStateMachine();
        b.limits(a.machine.limits());
        a.log.forEach(b::apply);
        assertArrayEquals(Feed.snapshot(a.machine), Feed.snapshot(b));
        KvStateMachine restored = Feed.restore(Feed.snapshot(a.machine));
        assertEquals(a.machine.sessions().all(), restored.sessions().all(), "fingerprints survive a snapshot");
    }
}
