package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.kv.Feed.b;

import com.google.protobuf.ByteString;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import raftkv.kv.ApplyResult.Deleted;
import raftkv.kv.ApplyResult.None;
import raftkv.kv.ApplyResult.NotFound;
import raftkv.kv.ApplyResult.VersionMismatch;
import raftkv.kv.ApplyResult.Written;
import raftkv.raft.Entry;

/** Set, cas, delete, versions and log order (SPEC section 4, kv.proto). */
class KvStateMachineTest {
    private final Feed feed = new Feed();
    private final KvStateMachine sm = feed.machine;

    @Test
    void aNewMachineIsEmptyBeforeIndexOne() {
        assertEquals(0, sm.appliedIndex());
        assertEquals(0, sm.appliedTerm());
        assertEquals(0, sm.clockMs());
        assertEquals(0, sm.size());
        assertEquals(Long.MAX_VALUE, sm.nextDeadlineMs());
        assertEquals(Optional.empty(), feed.get("k", 0));
    }

    @Test
    void setCreatesThenReplacesAndItsVersionIsTheLogIndex() {
        assertEquals(new Written(1), feed.set("a", "one", 0, 1000));
        feed.noop();
        assertEquals(new Written(3), feed.set("b", "two", 0, 1000));
        assertEquals(new Written(4), feed.set("a", "three", 0, 1000));
        assertEquals(Optional.of(new Stored(b("three"), 4, 0)), feed.get("a", 1000));
        assertEquals(Optional.of(new Stored(b("two"), 3, 0)), feed.get("b", 1000));
        assertEquals(2, sm.size());
        assertEquals(4, sm.appliedIndex());
    }

    @Test
    void everyWriteGetsANewUniqueVersion() {
        Set<Long> versions = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            ApplyResult r = i % 3 == 2
                    ? feed.cas("k" + (i % 7), sm.get(b("k" + (i % 7)), 0).map(Stored::version).orElse(1L), "v", 0, i)
                    : feed.set("k" + (i % 7), "v" + i, 0, i);
            if (r instanceof Written w) {
                assertEquals(sm.appliedIndex(), w.version());
                assertTrue(versions.add(w.version()), "version reused: " + w.version());
            }
        }
        assertTrue(versions.size() > 200);
    }

    @Test
    void emptyAndBinaryValuesAreRealValues() {
        feed.set("empty", "", 0, 0);
        feed.command(new Command.Set(b("bin"), ByteString.copyFrom(new byte[] {0, '\r', '\n'}), 0, RequestId.NONE), 0);
        assertEquals(ByteString.EMPTY, feed.get("empty", 0).orElseThrow().value());
        assertEquals(3, feed.get("bin", 0).orElseThrow().value().size());
    }

    @Test
    void casWritesOnlyAtTheCurrentVersion() {
        assertEquals(new NotFound(), feed.cas("k", 1, "x", 0, 0), "cas never creates a key");
        assertEquals(Optional.empty(), feed.get("k", 0));
        long v = ((Written) feed.set("k", "v1", 0, 0)).version();
        assertEquals(new VersionMismatch(), feed.cas("k", v + 100, "x", 0, 0));
        assertEquals("v1", feed.value("k", 0), "a mismatch writes nothing");
        assertEquals(new Written(sm.appliedIndex() + 1), feed.cas("k", v, "v2", 0, 0));
        assertEquals("v2", feed.value("k", 0));
        assertEquals(new VersionMismatch(), feed.cas("k", v, "v3", 0, 0), "the old version is gone");
    }

    @Test
    void deleteRemovesALiveKeyOnce() {
        assertEquals(new NotFound(), feed.delete("k", 0));
        feed.set("k", "v", 0, 0);
        assertEquals(new Deleted(), feed.delete("k", 0));
        assertEquals(Optional.empty(), feed.get("k", 0));
        assertEquals(0, sm.size());
        assertEquals(new NotFound(), feed.delete("k", 0));
        assertEquals(new NotFound(), feed.cas("k", 2, "x", 0, 0));
        assertEquals(new Written(sm.appliedIndex() + 1), feed.set("k", "again", 0, 0));
    }

    @Test
    void aNoopOnlyAdvancesTheAppliedIndex() {
        feed.set("k", "v", 10, 5_000);
        feed.term = 2;
        assertEquals(new None(), feed.noop());
        assertEquals(2, sm.appliedIndex());
        assertEquals(2, sm.appliedTerm());
        assertEquals(5_000, sm.clockMs());
        assertEquals(Optional.of(new Stored(b("v"), 1, 15_000)), feed.get("k", 0));
    }

    @Test
    void aTickChangesNoKeyAndReturnsNone() {
        feed.set("k", "v", 0, 0);
        assertEquals(new None(), feed.tick(99_000));
        assertEquals(99_000, sm.clockMs());
        assertEquals("v", feed.value("k", 0));
    }

    @Test
    void entriesAreAppliedOnceEachInIndexOrder() {
        assertThrows(IllegalStateException.class, () -> sm.apply(Entry.noop(2, 1)));
        feed.noop();
        assertThrows(IllegalStateException.class, () -> sm.apply(Entry.noop(1, 1)));
        assertEquals(1, sm.appliedIndex());
    }

    @Test
    void aCorruptEntryThrowsNamingItAndChangesNothing() {
        feed.set("k", "v", 0, 1_000);
        Entry garbage = Entry.normal(2, 3, ByteString.copyFrom(new byte[] {(byte) 0xFF, 0x01, 0x02}));
        MalformedCommandException e = assertThrows(MalformedCommandException.class, () -> sm.apply(garbage));
        assertTrue(e.getMessage().startsWith("log entry 2 (term 3): not a LogCommand"), e.getMessage());
        assertEquals(1, sm.appliedIndex());
        Entry empty = Entry.normal(2, 3, ByteString.EMPTY);
        assertThrows(MalformedCommandException.class, () -> sm.apply(empty), "a NORMAL entry must hold a command");
        assertEquals(1, sm.appliedIndex());
        assertEquals(new Written(2), feed.set("k2", "v", 0, 1_000));
    }

    @Test
    void theClockIsTheHighestTimestampAppliedAndNeverMovesBack() {
        long[] stamps = {5_000, 3_000, 7_000, 6_000, 7_001};
        long[] clocks = {5_000, 5_000, 7_000, 7_000, 7_001};
        for (int i = 0; i < stamps.length; i++) {
            feed.tick(stamps[i]);
            assertEquals(clocks[i], sm.clockMs());
        }
        assertEquals(7_500, sm.effectiveNowMs(7_500));
        assertEquals(7_001, sm.effectiveNowMs(1));
    }

    @Test
    void theValueOfAMissingKeyIsNull() {
        assertNull(feed.value("nothing", 0));
    }
}
