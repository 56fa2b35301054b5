package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.wal.WalFixtures.AWKWARD;
import static raftkv.wal.WalFixtures.entries;
import static raftkv.wal.WalFixtures.entry;
import static raftkv.wal.WalFixtures.hs;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;

/**
 * What every {@link RaftStorage} promises, run against the file log and its in-memory twin so
 * that tests built on the twin hold for the real thing. A restart here follows a close.
 */
abstract class RaftStorageContract {
    /** A storage over empty stable storage. */
    abstract RaftStorage fresh();

    /** A storage over what {@code closed} (already closed) left on stable storage, given the node's newest snapshot. */
    abstract RaftStorage restart(RaftStorage closed, SnapshotMeta snapshot);

    private RaftStorage closeAndRestart(RaftStorage s) {
        return closeAndRestart(s, SnapshotMeta.NONE);
    }

    private RaftStorage closeAndRestart(RaftStorage s, SnapshotMeta snapshot) {
        s.close();
        return restart(s, snapshot);
    }

    private static void assertRecovered(RaftStorage s, HardState hardState, List<Entry> entries) {
        assertRecovered(s, hardState, SnapshotMeta.NONE, entries);
    }

    private static void assertRecovered(RaftStorage s, HardState hardState, SnapshotMeta snapshot, List<Entry> entries) {
        assertEquals(new RaftStorage.Recovered(hardState, snapshot, entries), s.recovered());
    }

    @Test
    void aFreshStorageRecoversNothing() {
        RaftStorage s = fresh();
        assertRecovered(s, HardState.INITIAL, List.of());
        s = closeAndRestart(s);
        assertRecovered(s, HardState.INITIAL, List.of());
        s.close();
    }

    @Test
    void hardStateAndEntriesSurviveARestart() {
        RaftStorage s = fresh();
        s.saveHardState(hs(1, 2));
        s.append(entries(1, 5, 1, 10));
        s.saveHardState(hs(3, -1));
        s.append(List.of(entry(6, 3)));
        s.sync();
        s = closeAndRestart(s);
        List<Entry> want = new ArrayList<>(entries(1, 5, 1, 10));
        want.add(entry(6, 3));
        assertRecovered(s, hs(3, -1), want);
        s = closeAndRestart(s);
        assertRecovered(s, hs(3, -1), want);
        s.close();
    }

    @Test
    void binaryDataRoundTrips() {
        byte[] everyByte = new byte[256];
        for (int i = 0; i < 256; i++) everyByte[i] = (byte) i;
        List<Entry> want = List.of(
                Entry.normal(1, 1, ByteString.EMPTY),
                Entry.normal(2, 1, AWKWARD),
                Entry.normal(3, 1, ByteString.copyFromUtf8("\r\n")),
                Entry.normal(4, 1, ByteString.copyFrom(new byte[1])),
                Entry.normal(5, 1, ByteString.copyFrom(everyByte)),
                Entry.noop(6, 2),
                Entry.normal(7, 2, ByteString.copyFrom(new byte[1 << 20])));
        RaftStorage s = fresh();
        s.append(want);
        s = closeAndRestart(s);
        assertRecovered(s, HardState.INITIAL, want);
        s.close();
    }

    @Test
    void appendingAtALowerIndexDeletesThatEntryAndAllAfterIt() {
        RaftStorage s = fresh();
        s.append(entries(1, 10, 1, 3));
        s.append(List.of(entry(6, 2), entry(7, 2)));
        s.sync();
        s = closeAndRestart(s);
        List<Entry> want = new ArrayList<>(entries(1, 5, 1, 3));
        want.addAll(List.of(entry(6, 2), entry(7, 2)));
        assertRecovered(s, HardState.INITIAL, want);

        s.append(List.of(entry(7, 3), entry(8, 3))); // after a restart too
        s.append(List.of(entry(3, 4)));
        s = closeAndRestart(s);
        assertRecovered(s, HardState.INITIAL, List.of(entries(1, 1, 1, 3).get(0), entries(2, 2, 1, 3).get(0), entry(3, 4)));
        s.close();
    }

    @Test
    void theWholeLogCanBeReplaced() {
        RaftStorage s = fresh();
        s.append(entries(1, 4, 1, 3));
        s.append(List.of(entry(1, 2)));
        s = closeAndRestart(s);
        assertRecovered(s, HardState.INITIAL, List.of(entry(1, 2)));
        s.close();
    }

    @Test
    void aGapIsRefusedAndWritesNothing() {
        RaftStorage s = fresh();
        s.append(entries(1, 3, 1, 3));
        assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(5, 1))));
        assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(4, 1), entry(6, 1))));
        assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(4, 1), entry(4, 1))));
        RaftStorage r = closeAndRestart(s);
        assertRecovered(r, HardState.INITIAL, entries(1, 3, 1, 3));
        assertThrows(IllegalArgumentException.class, () -> r.append(List.of(entry(5, 1))));
        r.close();
    }

    @Test
    void theFirstEntryMustBeIndexOne() {
        RaftStorage s = fresh();
        assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(2, 1))));
        s.append(List.of());
        s.close();
    }

    @Test
    void aClosedStorageRefusesWritesAndClosesTwiceQuietly() {
        RaftStorage s = fresh();
        s.append(List.of(entry(1, 1)));
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, () -> s.append(List.of(entry(2, 1))));
        assertThrows(IllegalStateException.class, () -> s.saveHardState(hs(1, 1)));
        assertThrows(IllegalStateException.class, s::sync);
        assertThrows(IllegalStateException.class, () -> s.installSnapshot(new SnapshotMeta(5, 1)));
        assertThrows(IllegalStateException.class, s::cut);
        assertThrows(IllegalStateException.class, () -> s.compact(1));
    }

    @Test
    void closeMakesUnsyncedWritesDurable() {
        RaftStorage s = fresh();
        s.saveHardState(hs(2, 1));
        s.append(List.of(entry(1, 2)));
        s = closeAndRestart(s);
        assertRecovered(s, hs(2, 1), List.of(entry(1, 2)));
        s.close();
    }

    // Snapshots. S is the node's snapshot, stored apart; a restart is given its meta.

    @Test
    void afterInstallSnapshotARestartRecoversTheSnapshotNoEntriesAndTheHardState() {
        SnapshotMeta snap = new SnapshotMeta(10, 2);
        RaftStorage s = fresh();
        s.saveHardState(hs(1, 1));
        s.append(entries(1, 5, 1, 10));
        s.sync();
        s.saveHardState(hs(2, 3)); // not synced: installSnapshot makes it durable with itself
        s.installSnapshot(snap);
        s = closeAndRestart(s, snap);
        assertRecovered(s, hs(2, 3), snap, List.of());
        s = closeAndRestart(s, snap);
        assertRecovered(s, hs(2, 3), snap, List.of());
        s.close();
    }

    @Test
    void installSnapshotDeletesEntriesPastTheSnapshotToo() {
        SnapshotMeta snap = new SnapshotMeta(10, 3);
        RaftStorage s = fresh();
        s.append(entries(1, 20, 1, 10)); // entry 10 of term 1: the leader's log differs there
        s.installSnapshot(snap);
        s = closeAndRestart(s, snap);
        assertRecovered(s, HardState.INITIAL, snap, List.of());
        s.close();
    }

    @Test
    void appendsAfterInstallSnapshotContinueAtTheEntryAfterIt() {
        SnapshotMeta snap = new SnapshotMeta(10, 2);
        RaftStorage s = fresh();
        s.append(entries(1, 3, 1, 10));
        s.installSnapshot(snap);
        assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(12, 2))));
        assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(10, 2))));
        s.append(List.of(entry(11, 2), entry(12, 2)));
        s.append(List.of(entry(12, 3), entry(13, 3)));
        RaftStorage r = closeAndRestart(s, snap);
        assertRecovered(r, HardState.INITIAL, snap, List.of(entry(11, 2), entry(12, 3), entry(13, 3)));
        r.append(List.of(entry(14, 3)));
        assertThrows(IllegalArgumentException.class, () -> r.append(List.of(entry(10, 3))));
        RaftStorage again = closeAndRestart(r, snap);
        assertRecovered(again, HardState.INITIAL, snap, List.of(entry(11, 2), entry(12, 3), entry(13, 3), entry(14, 3)));
        again.close();
    }

    @Test
    void installSnapshotRefusesASnapshotThatIsNotPastTheOneItHas() {
        RaftStorage s = fresh();
        s.append(entries(1, 5, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> s.installSnapshot(SnapshotMeta.NONE));
        s.installSnapshot(new SnapshotMeta(8, 2));
        assertThrows(IllegalArgumentException.class, () -> s.installSnapshot(new SnapshotMeta(8, 2)));
        assertThrows(IllegalArgumentException.class, () -> s.installSnapshot(new SnapshotMeta(7, 2)));
        s.close();
    }

    @Test
    void compactThenRestartWithTheSnapshotRecoversTheEntriesAfterIt() {
        RaftStorage s = fresh();
        s.saveHardState(hs(1, 1));
        s.append(entries(1, 60, 1, 200));
        s.sync();
        s.compact(40);
        s.append(entries(61, 65, 1, 200));
        s.saveHardState(hs(2, -1));
        SnapshotMeta snap = new SnapshotMeta(40, 1);
        RaftStorage r = closeAndRestart(s, snap);
        assertRecovered(r, hs(2, -1), snap, entries(41, 65, 1, 200));
        r.close();
        // The entries before the snapshot are freed: without the snapshot the log has a hole.
        assertThrows(WalCorruptException.class, () -> restart(r, SnapshotMeta.NONE));
    }

    @Test
    void compactedEntriesCannotBeWrittenAgainAndCompactStaysWithinTheLog() {
        RaftStorage s = fresh();
        s.append(entries(1, 10, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> s.compact(11));
        assertThrows(IllegalArgumentException.class, () -> s.compact(-1));
        s.compact(0);
        s.compact(6);
        s.compact(4); // behind an earlier one: nothing to do
        assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(6, 2))));
        s.append(List.of(entry(7, 2)));
        SnapshotMeta snap = new SnapshotMeta(6, 1);
        RaftStorage r = closeAndRestart(s, snap);
        assertRecovered(r, HardState.INITIAL, snap, List.of(entry(7, 2)));
        r.close();
    }

    @Test
    void cutThenCompactToTheLastIndexFreesEverythingBefore() {
        RaftStorage s = fresh();
        s.cut(); // nothing written yet
        s.saveHardState(hs(3, 2));
        s.append(entries(1, 30, 3, 100));
        s.cut();
        s.cut();
        s.compact(30);
        s.append(List.of(entry(31, 3)));
        SnapshotMeta snap = new SnapshotMeta(30, 3);
        s = closeAndRestart(s, snap);
        assertRecovered(s, hs(3, 2), snap, List.of(entry(31, 3)));
        s.close();
    }

    @Test
    void aRestartWithASnapshotTheLogHoldsRecoversTheEntriesAfterIt() {
        RaftStorage s = fresh();
        s.saveHardState(hs(1, 1));
        s.append(entries(1, 8, 1, 10));
        SnapshotMeta snap = new SnapshotMeta(5, 1);
        s = closeAndRestart(s, snap);
        assertRecovered(s, hs(1, 1), snap, entries(6, 8, 1, 10));
        SnapshotMeta atTheEnd = new SnapshotMeta(8, 1);
        s = closeAndRestart(s, atTheEnd);
        assertRecovered(s, hs(1, 1), atTheEnd, List.of());
        s.close();
    }

    @Test
    void aRestartWithASnapshotTheLogDoesNotHoldRestartsTheLogAfterIt() {
        // A crash after a leader's snapshot was stored but before installSnapshot.
        RaftStorage s = fresh();
        s.saveHardState(hs(4, 2));
        s.append(entries(1, 8, 1, 10));
        SnapshotMeta past = new SnapshotMeta(12, 4);
        s = closeAndRestart(s, past);
        assertRecovered(s, hs(4, 2), past, List.of());
        s.append(List.of(entry(13, 4)));
        s = closeAndRestart(s, past);
        assertRecovered(s, hs(4, 2), past, List.of(entry(13, 4)));

        SnapshotMeta otherTerm = new SnapshotMeta(13, 5); // the log holds entry 13 of term 4
        s = closeAndRestart(s, otherTerm);
        assertRecovered(s, hs(4, 2), otherTerm, List.of());
        s = closeAndRestart(s, otherTerm);
        assertRecovered(s, hs(4, 2), otherTerm, List.of());
        s.close();
    }

    @Test
    void aLogThatStartsAfterTheSnapshotIsCorrupt() {
        SnapshotMeta snap = new SnapshotMeta(10, 2);
        RaftStorage s = fresh();
        s.installSnapshot(snap);
        s.append(List.of(entry(11, 2)));
        s.close();
        WalCorruptException e = assertThrows(WalCorruptException.class, () -> restart(s, new SnapshotMeta(7, 1)));
        assertTrue(e.getMessage().contains("entry 10") && e.getMessage().contains("entry 7"), e.getMessage());
        assertThrows(WalCorruptException.class, () -> restart(s, SnapshotMeta.NONE));
        RaftStorage r = restart(s, snap); // refusing changed nothing
        assertRecovered(r, HardState.INITIAL, snap, List.of(entry(11, 2)));
        r.close();
    }
}
