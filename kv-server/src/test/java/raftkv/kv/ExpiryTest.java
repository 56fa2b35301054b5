package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.kv.KvStateMachine.ttlSecondsLeft;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import raftkv.kv.ApplyResult.NotFound;
import raftkv.kv.ApplyResult.Written;
import raftkv.proto.KvRules;

/**
 * Expiry by the log's clock only (SPEC section 4 "exptime"): a key's deadline is the log clock
 * when its write applies plus its ttl; at or past the deadline it is absent for every command,
 * on every replica, and nothing brings it back.
 */
class ExpiryTest {
    private final Feed feed = new Feed();
    private final KvStateMachine sm = feed.machine;

    @Test
    void aKeyExpiresWhenAnEntryMovesTheLogClockToItsDeadline() {
        feed.set("k", "v", 10, 1_000);
        assertEquals(Optional.of(new Stored(Feed.b("v"), 1, 11_000)), feed.get("k", 0));
        feed.tick(10_999);
        assertEquals("v", feed.value("k", 0));
        assertEquals(1, sm.size());
        feed.tick(11_000);
        assertNull(feed.value("k", 0));
        assertEquals(0, sm.size(), "an expired key leaves memory");
        assertEquals(Long.MAX_VALUE, sm.nextDeadlineMs());
    }

    @Test
    void aReaderWhoseClockHasPassedTheDeadlineSeesNoKey() {
        feed.set("k", "v", 10, 1_000);
        assertEquals("v", feed.value("k", 10_999));
        assertNull(feed.value("k", 11_000));
        assertEquals(1, sm.size(), "reads never change the machine");
    }

    @Test
    void anExpiredKeyIsNotFoundForGetCasAndDelete() {
        long version = ((Written) feed.set("k", "v", 1, 0)).version();
        feed.set("other", "x", 0, 1_000);
        assertNull(feed.value("k", 0));
        assertEquals(new NotFound(), feed.cas("k", version, "new", 0, 1_000), "not a version mismatch");
        assertEquals(new NotFound(), feed.delete("k", 1_000));
        assertNull(feed.value("k", 0));
    }

    @Test
    void anEntryWithAnOlderTimestampDoesNotBringAKeyBack() {
        feed.set("k", "v", 5, 10_000);
        feed.tick(15_000);
        assertNull(feed.value("k", 0));
        // A new leader whose clock is far behind proposes more entries.
        feed.set("other", "x", 0, 2_000);
        feed.tick(3_000);
        assertEquals(15_000, sm.clockMs());
        assertNull(feed.value("k", 0));
        assertNull(feed.value("k", 12_000));
        assertEquals(new NotFound(), feed.delete("k", 2_000));
    }

    @Test
    void readsUseTheLaterOfTheReaderClockAndTheLogClock() {
        feed.set("k", "v", 5, 10_000);
        feed.set("late", "x", 0, 14_000);
        // The log clock is 14_000; a reader at 20_000 sees k gone, and so does one at 0 once
        // the log clock reaches the deadline, even through an entry stamped earlier.
        assertNull(feed.value("k", 20_000));
        feed.tick(15_000);
        assertNull(feed.value("k", 0));
    }

    @Test
    void ttlCountsFromTheLogClockSoALeaderThatIsBehindCannotShortenIt() {
        feed.tick(100_000);
        feed.set("k", "v", 5, 90_000);
        Stored s = feed.get("k", 0).orElseThrow();
        assertEquals(105_000, s.expiresAtMs());
        assertEquals(5, ttlSecondsLeft(s.expiresAtMs(), sm.effectiveNowMs(0)));
    }

    @Test
    void aWriteReplacesTheExpiry() {
        feed.set("k", "v", 5, 0);
        feed.set("k", "v", 0, 1_000);
        assertEquals(Long.MAX_VALUE, sm.nextDeadlineMs());
        feed.tick(1_000_000_000);
        assertEquals("v", feed.value("k", 0), "ttl 0 is never");

        long version = feed.get("k", 0).orElseThrow().version();
        feed.cas("k", version, "w", 2, 1_000_000_000);
        assertEquals(1_000_002_000, sm.nextDeadlineMs());
        feed.tick(1_000_002_000);
        assertNull(feed.value("k", 0));
    }

    @Test
    void nextDeadlineIsTheEarliestLiveDeadline() {
        feed.set("a", "v", 30, 1_000);
        feed.set("b", "v", 10, 1_000);
        feed.set("c", "v", 20, 1_000);
        feed.set("d", "v", 0, 1_000);
        assertEquals(11_000, sm.nextDeadlineMs());
        feed.delete("b", 1_000);
        assertEquals(21_000, sm.nextDeadlineMs());
        feed.tick(21_000);
        assertEquals(31_000, sm.nextDeadlineMs());
        assertEquals(2, sm.size());
        feed.tick(31_000);
        assertEquals(Long.MAX_VALUE, sm.nextDeadlineMs());
        assertEquals(1, sm.size());
    }

    @Test
    void manyKeysExpireInDeadlineOrder() {
        for (int i = 1; i <= 1_000; i++) {
            feed.set("k" + i, "v", i, 0);
        }
        for (int s = 0; s <= 1_000; s += 100) {
            feed.tick(s * 1000L);
            assertEquals(1_000 - s, sm.size());
            assertEquals(s == 1_000 ? Long.MAX_VALUE : (s + 1) * 1000L, sm.nextDeadlineMs());
        }
    }

    @Test
    void theLargestTtlIsKept() {
        feed.set("k", "v", KvRules.MAX_TTL_SECONDS, 1_700_000_000_000L);
        assertEquals(1_700_000_000_000L + KvRules.MAX_TTL_SECONDS * 1000, feed.get("k", 0).orElseThrow().expiresAtMs());
    }

    @Test
    void ttlLeftIsRoundedUpAndNeverZeroForAKeyThatWillExpire() {
        long now = 1_700_000_000_000L;
        assertEquals(0, ttlSecondsLeft(0, now), "0 means never");
        assertEquals(300, ttlSecondsLeft(now + 300_000, now));
        assertEquals(300, ttlSecondsLeft(now + 299_001, now));
        assertEquals(299, ttlSecondsLeft(now + 299_000, now));
        assertEquals(2, ttlSecondsLeft(now + 1_001, now));
        assertEquals(1, ttlSecondsLeft(now + 1_000, now));
        assertEquals(1, ttlSecondsLeft(now + 1, now));
        assertEquals(1, ttlSecondsLeft(now, now), "never 0 for a key that expires");
        assertEquals(KvRules.MAX_TTL_SECONDS, ttlSecondsLeft(now + KvRules.MAX_TTL_SECONDS * 1000, now));
    }

    @Test
    void aKeySetWithTtl300ShowsTtl300StraightAfter() {
        long t = 1_700_000_000_123L;
        feed.set("k", "v", 300, t);
        Stored s = feed.get("k", t).orElseThrow();
        assertEquals(300, ttlSecondsLeft(s.expiresAtMs(), sm.effectiveNowMs(t)));
        assertEquals(300, ttlSecondsLeft(s.expiresAtMs(), sm.effectiveNowMs(t + 999)));
        assertEquals(299, ttlSecondsLeft(s.expiresAtMs(), sm.effectiveNowMs(t + 1_000)));
        assertTrue(feed.get("k", t + 299_999).isPresent());
        assertTrue(feed.get("k", t + 300_000).isEmpty());
    }
}
