package raftkv.sim;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.RaftConfig;
import raftkv.raft.RaftCore;
import raftkv.raft.SnapshotMeta;

/** The checks themselves must fire on the histories they exist to reject. */
class InvariantsTest {
    /** A disk as the durability check sees it. */
    private static final class FakeDisk implements Invariants.Disk {
        final long id;
        final Map<Long, Long> terms = new HashMap<>();
        long snapshotIndex;

        FakeDisk(long id) {
            this.id = id;
        }

        @Override
        public long nodeId() {
            return id;
        }

        @Override
        public long snapshotIndex() {
            return snapshotIndex;
        }

        @Override
        public long durableTerm(long index) {
            return terms.getOrDefault(index, -1L);
        }
    }

    /** A core in term 5 with an empty log. */
    private static RaftCore core(long id) {
        return new RaftCore(RaftConfig.of(id, List.of(1L, 2L, 3L), 10, 1), new HardState(5, id), SnapshotMeta.NONE,
                List.of(), new SplittableRandom(id));
    }

    private static Entry write(long index, long term, String value) {
        return Entry.normal(index, term, ByteString.copyFromUtf8(value));
    }

    @Test
    void twoLeadersInOneTermAreCaught() {
        Invariants inv = new Invariants(3);
        inv.onLeader(1, 5, core(1));
        SafetyViolation v = assertThrows(SafetyViolation.class, () -> inv.onLeader(2, 5, core(2)));
        assertTrue(v.getMessage().contains("two leaders in term 5"), v.getMessage());
        assertDoesNotThrow(() -> inv.onLeader(2, 6, core(2)));
    }

    @Test
    void differentEntriesCommittedAtOneIndexAreCaught() {
        Invariants inv = new Invariants(3);
        inv.onCommit(1, write(1, 1, "a"));
        assertDoesNotThrow(() -> inv.onCommit(2, write(1, 1, "a")));
        assertThrows(SafetyViolation.class, () -> inv.onCommit(3, write(1, 2, "b")));
        assertThrows(SafetyViolation.class, () -> inv.onApply(3, write(1, 1, "c")));
    }

    @Test
    void logMatchingViolationIsCaught() {
        Invariants inv = new Invariants(3);
        inv.onPersist(1, write(1, 1, "x"), 0);
        assertDoesNotThrow(() -> inv.onPersist(2, write(1, 1, "x"), 0));
        // same index and term, a different command
        assertThrows(SafetyViolation.class, () -> inv.onPersist(2, write(1, 1, "y"), 0));
        inv.onPersist(1, write(2, 1, "z"), 1);
        // same entry, a different predecessor
        assertThrows(SafetyViolation.class, () -> inv.onPersist(3, write(2, 1, "z"), 2));
    }

    @Test
    void deletingACommittedEntryIsCaught() {
        Invariants inv = new Invariants(3);
        Entry e = write(1, 1, "x");
        inv.onCommit(1, e);
        assertThrows(SafetyViolation.class, () -> inv.onTruncate(2, List.of(e)));
        assertDoesNotThrow(() -> inv.onTruncate(2, List.of(write(1, 2, "other"))));
    }

    @Test
    void committedEntryOnAMinorityOfDisksIsCaught() {
        Invariants inv = new Invariants(3);
        FakeDisk a = new FakeDisk(1);
        FakeDisk b = new FakeDisk(2);
        FakeDisk c = new FakeDisk(3);
        a.terms.put(1L, 1L);
        inv.onCommit(1, write(1, 1, "x"));
        assertThrows(SafetyViolation.class, () -> inv.checkDurability(List.of(a, b, c)));
        b.terms.put(1L, 2L); // another term there: not the committed entry
        assertThrows(SafetyViolation.class, () -> inv.checkDurability(List.of(a, b, c)));
        c.snapshotIndex = 1; // a snapshot covers it
        assertDoesNotThrow(() -> inv.checkDurability(List.of(a, b, c)));
    }

    @Test
    void leaderMissingACommittedEntryIsCaught() {
        Invariants inv = new Invariants(3);
        inv.onCommit(1, write(1, 1, "x"));
        SafetyViolation v = assertThrows(SafetyViolation.class, () -> inv.onLeader(2, 6, core(2)));
        assertTrue(v.getMessage().contains("entry 1 is committed"), v.getMessage());
    }

    @Test
    void aSnapshotThatDoesNotEndAtTheCommittedEntryIsCaught() {
        Invariants inv = new Invariants(3);
        inv.onCommit(1, write(1, 1, "x"));
        assertDoesNotThrow(() -> inv.onSnapshot(1, new SnapshotMeta(1, 1), 42));
        assertThrows(SafetyViolation.class, () -> inv.onSnapshot(2, new SnapshotMeta(1, 2), 42));
        assertThrows(SafetyViolation.class, () -> inv.onSnapshot(2, new SnapshotMeta(2, 1), 42));
    }

    @Test
    void twoSnapshotStatesAtOneIndexAreCaught() {
        Invariants inv = new Invariants(3);
        inv.onCommit(1, write(1, 1, "x"));
        inv.onSnapshot(1, new SnapshotMeta(1, 1), 42);
        assertThrows(SafetyViolation.class, () -> inv.onSnapshot(2, new SnapshotMeta(1, 1), 43));
    }

    @Test
    void aReceivedSnapshotMustHoldTheStateTakenAtItsIndex() {
        Invariants inv = new Invariants(3);
        inv.onCommit(1, write(1, 1, "x"));
        SnapshotMeta meta = new SnapshotMeta(1, 1);
        SafetyViolation never = assertThrows(SafetyViolation.class, () -> inv.onSnapshotReceived(2, meta, 42));
        assertTrue(never.getMessage().contains("no node ever took"), never.getMessage());
        inv.onSnapshot(1, meta, 42);
        assertDoesNotThrow(() -> inv.onSnapshotReceived(2, meta, 42));
        assertThrows(SafetyViolation.class, () -> inv.onSnapshotReceived(2, meta, 43));
        assertThrows(SafetyViolation.class, () -> inv.onSnapshotReceived(2, new SnapshotMeta(1, 2), 42));
    }
}
