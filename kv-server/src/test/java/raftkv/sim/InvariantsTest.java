package raftkv.sim;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.RaftConfig;
import raftkv.raft.SnapshotMeta;

/** The checks themselves must fire on the histories they exist to reject. */
class InvariantsTest {
    private static SimNode node(long id) {
        SimNode n = new SimNode(id, RaftConfig.of(id, List.of(1L, 2L, 3L), 10, 1), 0.1);
        n.disk.saveHardState(new HardState(5, id));
        n.start(new SplittableRandom(id));
        return n;
    }

    private static Entry write(long index, long term, String value) {
        return Entry.normal(index, term, ByteString.copyFromUtf8(value));
    }

    @Test
    void twoLeadersInOneTermAreCaught() {
        Invariants inv = new Invariants(3);
        inv.onLeader(node(1), 5);
        SafetyViolation v = assertThrows(SafetyViolation.class, () -> inv.onLeader(node(2), 5));
        assertTrue(v.getMessage().contains("two leaders in term 5"), v.getMessage());
        assertDoesNotThrow(() -> inv.onLeader(node(2), 6));
    }

    @Test
    void differentEntriesCommittedAtOneIndexAreCaught() {
        Invariants inv = new Invariants(3);
        inv.onCommit(node(1), write(1, 1, "a"));
        assertDoesNotThrow(() -> inv.onCommit(node(2), write(1, 1, "a")));
        assertThrows(SafetyViolation.class, () -> inv.onCommit(node(3), write(1, 2, "b")));
    }

    @Test
    void logMatchingViolationIsCaught() {
        Invariants inv = new Invariants(3);
        SimNode a = node(1);
        a.disk.append(write(1, 1, "x"));
        inv.onPersist(a, List.of(a.disk.entries.get(0)));
        SimNode b = node(2);
        b.disk.append(write(1, 1, "y")); // same index and term, different command
        assertThrows(SafetyViolation.class, () -> inv.onPersist(b, List.of(b.disk.entries.get(0))));
    }

    @Test
    void deletingACommittedEntryIsCaught() {
        Invariants inv = new Invariants(3);
        Entry e = write(1, 1, "x");
        inv.onCommit(node(1), e);
        assertThrows(SafetyViolation.class, () -> inv.onTruncate(node(2), List.of(e)));
        assertDoesNotThrow(() -> inv.onTruncate(node(2), List.of(write(1, 2, "other"))));
    }

    @Test
    void staleReadIsCaught() {
        Invariants inv = new Invariants(3);
        SimNode n = node(1);
        n.state = new Register(3);
        assertDoesNotThrow(() -> inv.onRead(n, new SimNode.ReleasedRead(1, 3, 3)));
        assertThrows(SafetyViolation.class, () -> inv.onRead(n, new SimNode.ReleasedRead(2, 3, 4)));
    }

    @Test
    void committedEntryOnAMinorityOfDisksIsCaught() {
        Invariants inv = new Invariants(3);
        SimNode a = node(1);
        SimNode b = node(2);
        SimNode c = node(3);
        Entry e = write(1, 1, "x");
        a.disk.append(e);
        inv.onCommit(a, e);
        assertThrows(SafetyViolation.class, () -> inv.checkDurability(List.of(a, b, c)));
        b.disk.append(e);
        assertDoesNotThrow(() -> inv.checkDurability(List.of(a, b, c)));
    }

    @Test
    void leaderMissingACommittedEntryIsCaught() {
        Invariants inv = new Invariants(3);
        inv.onCommit(node(1), write(1, 1, "x"));
        SafetyViolation v = assertThrows(SafetyViolation.class, () -> inv.onLeader(node(2), 6));
        assertTrue(v.getMessage().contains("entry 1 is committed"), v.getMessage());
    }

    @Test
    void aSnapshotThatDoesNotEndAtTheCommittedEntryIsCaught() {
        Invariants inv = new Invariants(3);
        inv.onCommit(node(1), write(1, 1, "x"));
        assertDoesNotThrow(() -> inv.onSnapshot(node(1), new SnapshotMeta(1, 1), new Register(1)));
        assertThrows(SafetyViolation.class, () -> inv.onSnapshot(node(2), new SnapshotMeta(1, 2), new Register(1)));
        assertThrows(SafetyViolation.class, () -> inv.onSnapshot(node(2), new SnapshotMeta(2, 1), new Register(2)));
    }

    @Test
    void twoSnapshotStatesAtOneIndexAreCaught() {
        Invariants inv = new Invariants(3);
        inv.onCommit(node(1), write(1, 1, "x"));
        inv.onSnapshot(node(1), new SnapshotMeta(1, 1), new Register(1));
        assertThrows(SafetyViolation.class, () -> inv.onSnapshot(node(2), new SnapshotMeta(1, 1), new Register(0)));
    }

    @Test
    void aReceivedSnapshotMustHoldTheStateCapturedAtItsIndex() {
        Invariants inv = new Invariants(3);
        inv.onCommit(node(1), write(1, 1, "x"));
        SnapshotMeta meta = new SnapshotMeta(1, 1);
        SafetyViolation never = assertThrows(SafetyViolation.class,
                () -> inv.onSnapshotReceived(node(2), meta, new Register(1)));
        assertTrue(never.getMessage().contains("no node ever took"), never.getMessage());
        inv.onSnapshot(node(1), meta, new Register(1));
        assertDoesNotThrow(() -> inv.onSnapshotReceived(node(2), meta, new Register(1)));
        assertThrows(SafetyViolation.class, () -> inv.onSnapshotReceived(node(2), meta, new Register(0)));
        assertThrows(SafetyViolation.class, () -> inv.onSnapshotReceived(node(2), new SnapshotMeta(1, 2), new Register(1)));
    }
}
