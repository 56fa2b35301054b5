package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import raftkv.kv.ApplyResult.Deleted;
import raftkv.kv.ApplyResult.NotFound;
import raftkv.kv.ApplyResult.RequestIdReused;
import raftkv.kv.ApplyResult.StaleRequest;
import raftkv.kv.ApplyResult.VersionMismatch;
import raftkv.kv.ApplyResult.Written;

/** Exactly-once retries (kv.proto RequestId, SPEC sections 5 and 7). */
class SessionsTest {
    private static final long HOUR = Sessions.EXPIRY_MS;
    private final Feed feed = new Feed();
    private final KvStateMachine sm = feed.machine;

    private static RequestId id(long client, long seq) {
        return new RequestId(client, seq);
    }

    @Test
    void aRetryReturnsTheFirstResultWithoutWritingAgainEvenAfterOtherWrites() {
        assertEquals(new Written(1), feed.set("k", "a", 0, 0, id(1, 1)));
        assertEquals(new Written(2), feed.set("k", "b", 0, 0, id(2, 1)));
        feed.set("k2", "c", 0, 0);
        assertEquals(new Written(1), feed.set("k", "a", 0, 0, id(1, 1)));
        assertEquals(Optional.of(new Stored(Feed.b("b"), 2, 0)), feed.get("k", 0), "the retry wrote nothing");
        assertEquals(new RequestIdReused(), feed.set("k", "different", 0, 0, id(1, 1)),
                "another command under the same id is refused, not told OK");
        assertEquals("b", feed.value("k", 0));
    }

    @Test
    void notFoundVersionMismatchAndDeletedAreRememberedToo() {
        assertEquals(new NotFound(), feed.delete("k", 0, id(1, 1)));
        feed.set("k", "v", 0, 0);
        assertEquals(new NotFound(), feed.delete("k", 0, id(1, 1)), "the retry does not delete the new key");
        assertEquals("v", feed.value("k", 0));

        long version = feed.get("k", 0).orElseThrow().version();
        assertEquals(new VersionMismatch(), feed.cas("k", version + 1, "x", 0, 0, id(1, 2)));
        feed.set("k", "v", 0, 0); // now at version + 2
        feed.noop();
        assertEquals(new VersionMismatch(), feed.cas("k", version + 1, "x", 0, 0, id(1, 2)));

        assertEquals(new Deleted(), feed.delete("k", 0, id(1, 3)));
        assertEquals(new Deleted(), feed.delete("k", 0, id(1, 3)), "not NotFound: the first attempt deleted");
    }

    @Test
    void anOlderSequenceIsStaleAndWritesNothing() {
        feed.set("k", "five", 0, 0, id(1, 5));
        assertEquals(new StaleRequest(), feed.set("k", "three", 0, 0, id(1, 3)));
        assertEquals(new StaleRequest(), feed.delete("k", 0, id(1, 4)));
        assertEquals("five", feed.value("k", 0));
        assertEquals(5, sm.sessions().get(1).orElseThrow().sequence(), "a stale request replaces nothing");
        assertEquals(new Written(1), feed.set("k", "five", 0, 0, id(1, 5)));
    }

    @Test
    void aHigherSequenceAppliesAndReplacesAndMaySkipNumbers() {
        assertEquals(new Written(1), feed.set("k", "1", 0, 0, id(1, 1)));
        assertEquals(new Written(2), feed.set("k", "10", 0, 0, id(1, 10)));
        assertEquals(new Sessions.Session(10, new Written(2), 0, CommandCodec.fingerprint(new Command.Set(Feed.b("k"), Feed.b("10"), 0, id(1, 10)))), sm.sessions().get(1).orElseThrow());
        assertEquals(new StaleRequest(), feed.set("k", "1", 0, 0, id(1, 1)));
        // Sequences are unsigned 64-bit numbers, as in kv.proto.
        assertEquals(new Written(4), feed.set("k", "big", 0, 0, id(1, Long.MIN_VALUE)));
        assertEquals(new StaleRequest(), feed.set("k", "x", 0, 0, id(1, Long.MAX_VALUE)));
    }

    @Test
    void clientsAreIndependent() {
        feed.set("k", "a", 0, 0, id(1, 7));
        assertEquals(new Written(2), feed.set("k", "b", 0, 0, id(2, 1)));
        assertEquals(new Written(3), feed.set("k", "c", 0, 0, id(-1, 1)));
        assertEquals(3, sm.sessions().size());
    }

    @Test
    void writesWithoutARequestIdAreNeverDeduplicated() {
        assertEquals(new Written(1), feed.set("k", "v", 0, 0));
        assertEquals(new Written(2), feed.set("k", "v", 0, 0));
        assertEquals(new Deleted(), feed.delete("k", 0));
        assertEquals(new NotFound(), feed.delete("k", 0));
        assertEquals(0, sm.sessions().size());
    }

    @Test
    void aClientUnusedForAnHourOfLogTimeIsForgotten() {
        feed.set("k", "v", 0, 1_000, id(1, 5));
        feed.tick(1_000 + HOUR - 1);
        assertTrue(sm.sessions().get(1).isPresent());
        feed.tick(1_000 + HOUR);
        assertEquals(Optional.empty(), sm.sessions().get(1));
        // Forgotten: the retry is a new write, and so is an older sequence.
        assertEquals(new Written(4), feed.set("k", "v", 0, 1_000 + HOUR, id(1, 5)));
        assertEquals(new Written(5), feed.set("k", "v", 0, 1_000 + HOUR, id(2, 1)));
    }

    @Test
    void sessionsExpireByLogTimeNotByEntryCount() {
        feed.set("k", "v", 0, 0, id(1, 1));
        for (int i = 0; i < 100; i++) {
            feed.noop();
            feed.tick(i);
        }
        assertEquals(new Written(1), feed.set("k", "v", 0, 200, id(1, 1)), "201 entries later, still remembered");
        // Last used at 200. A leader whose clock is behind cannot keep it past the log's hour.
        feed.tick(HOUR + 200);
        feed.set("k", "v", 0, 10, id(2, 1));
        assertEquals(Optional.empty(), sm.sessions().get(1));
    }

    @Test
    void aRetryCountsAsUseAndKeepsTheSession() {
        feed.set("k", "v", 0, 0, id(1, 1));
        assertEquals(new Written(1), feed.set("k", "v", 0, HOUR - 1, id(1, 1)));
        feed.tick(HOUR + 1);
        assertEquals(new Written(1), feed.set("k", "v", 0, HOUR + 1, id(1, 1)));
        feed.tick(2 * HOUR + 1);
        assertEquals(Optional.empty(), sm.sessions().get(1));
    }

    @Test
    void manyClientsExpireInOrderOfLastUse() {
        for (int c = 1; c <= 500; c++) {
            feed.set("k", "v", 0, c * 1_000L, id(c, 1));
        }
        feed.tick(HOUR + 250_000);
        assertEquals(250, sm.sessions().size());
        assertEquals(251L, sm.sessions().all().firstKey());
    }

    @Test
    void allIsTheTableAsOfTheCallAndStaysSoWhileTheTableChanges() {
        feed.set("k", "a", 0, 0, id(1, 1));
        NavigableMap<Long, Sessions.Session> then = sm.sessions().all();
        feed.set("k", "b", 0, 0, id(2, 1));
        feed.set("k", "c", 0, 0, id(1, 2));
        assertEquals(List.of(1L, 2L), List.copyOf(sm.sessions().all().keySet()));
        feed.tick(HOUR);
        assertEquals(0, sm.sessions().size());
        assertEquals(Map.of(1L, new Sessions.Session(1, new Written(1), 0, CommandCodec.fingerprint(new Command.Set(Feed.b("k"), Feed.b("a"), 0, id(1, 1))))), then);
    }
}
