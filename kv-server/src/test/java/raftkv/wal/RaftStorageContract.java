package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    /** A storage over what {@code closed} (already closed) left on stable storage. */
    abstract RaftStorage restart(RaftStorage closed);

    private RaftStorage closeAndRestart(RaftStorage s) {
        s.close();
        return restart(s);
    }

    private static void assertRecovered(RaftStorage s, HardState hardState, List<Entry> entries) {
        assertEquals(hardState, s.recovered().hardState());
        assertEquals(SnapshotMeta.NONE, s.recovered().snapshot());
        assertEquals(entries, s.recovered().entries());
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
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, () -> s.append(List.of(entry(1, 1))));
        assertThrows(IllegalStateException.class, () -> s.saveHardState(hs(1, 1)));
        assertThrows(IllegalStateException.class, s::sync);
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
}
