package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static raftkv.wal.WalFixtures.entry;
import static raftkv.wal.WalFixtures.hs;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;

class MemoryStorageContractTest extends RaftStorageContract {
    @Override
    RaftStorage fresh() {
        return new MemoryStorage();
    }

    @Override
    RaftStorage restart(RaftStorage closed, SnapshotMeta snapshot) {
        return ((MemoryStorage) closed).restart(snapshot);
    }

    @Test
    void aCrashKeepsOnlyWhatWasSynced() {
        MemoryStorage s = new MemoryStorage();
        s.saveHardState(hs(1, 1));
        s.append(List.of(entry(1, 1)));
        s.sync();
        s.saveHardState(hs(2, -1));
        s.append(List.of(entry(2, 2)));
        MemoryStorage after = s.restart();
        assertEquals(hs(1, 1), after.recovered().hardState());
        assertEquals(List.of(entry(1, 1)), after.recovered().entries());
        assertEquals(HardState.INITIAL, new MemoryStorage().durableState().hardState());
    }

    @Test
    void aCrashInTheMiddleOfAWriteKeepsAPrefixOfTheWritesSinceTheLastSync() {
        MemoryStorage s = new MemoryStorage();
        s.append(List.of(entry(1, 1)));
        s.sync();
        s.saveHardState(hs(2, -1));
        s.append(List.of(entry(2, 2)));
        s.append(List.of(entry(3, 2)));
        assertEquals(3, s.unsyncedWrites());
        assertEquals(-1, s.durableTerm(2));
        s.crash(2); // the hard state and entry 2 reached the disk, entry 3 did not
        assertThrows(IllegalStateException.class, s::sync);
        assertEquals(2, s.durableTerm(2));
        assertEquals(-1, s.durableTerm(3));
        MemoryStorage after = s.restart();
        assertEquals(hs(2, -1), after.recovered().hardState());
        assertEquals(List.of(entry(1, 1), entry(2, 2)), after.recovered().entries());
    }

    @Test
    void durableTermCountsTheLogsBase() {
        MemoryStorage s = new MemoryStorage();
        assertEquals(0, s.durableTerm(0));
        s.append(List.of(entry(1, 1), entry(2, 1)));
        s.sync();
        s.compact(1);
        s.sync();
        assertEquals(1, s.durableTerm(1));
        assertEquals(1, s.durableTerm(2));
        assertEquals(-1, s.durableTerm(0));
    }

    @Test
    void installSnapshotIsDurableWhenItReturnsAndCompactWaitsForTheNextSync() {
        SnapshotMeta snap = new SnapshotMeta(9, 2);
        MemoryStorage s = new MemoryStorage();
        s.append(List.of(entry(1, 1), entry(2, 1)));
        s.saveHardState(hs(2, 1));
        s.installSnapshot(snap);
        assertEquals(new RaftStorage.Recovered(hs(2, 1), snap, List.of()), s.restart(snap).recovered());
        s.append(List.of(entry(10, 2), entry(11, 2)));
        s.sync();
        s.compact(10);
        // Not applied yet: a crash now still has entry 10, which the older snapshot needs.
        assertEquals(List.of(entry(10, 2), entry(11, 2)), s.restart(snap).recovered().entries());
        s.sync();
        assertThrows(WalCorruptException.class, () -> s.restart(snap));
        assertEquals(List.of(entry(11, 2)), s.restart(new SnapshotMeta(10, 2)).recovered().entries());
    }

    @Test
    void aRecoveredStateMustFollowItsSnapshot() {
        SnapshotMeta snap = new SnapshotMeta(4, 1);
        assertThrows(IllegalArgumentException.class,
                () -> new MemoryStorage(new RaftStorage.Recovered(HardState.INITIAL, snap, List.of(entry(6, 1)))));
        MemoryStorage s = new MemoryStorage(new RaftStorage.Recovered(HardState.INITIAL, snap, List.of(entry(5, 1))));
        assertThrows(IllegalArgumentException.class, () -> s.append(List.of(entry(4, 2))));
        s.append(List.of(entry(6, 1)));
        s.sync();
        assertEquals(List.of(entry(5, 1), entry(6, 1)), s.restart(snap).recovered().entries());
    }
}
