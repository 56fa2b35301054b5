package raftkv.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.RaftConfig;
import raftkv.raft.SnapshotMeta;

/** The disk rule a restart relies on: what a saved snapshot leaves of the log. */
class SimDiskTest {
    private static SimDisk diskWithEntries(int count, long term) {
        SimDisk d = new SimDisk();
        d.saveHardState(new HardState(term, 0));
        for (long i = 1; i <= count; i++) d.append(Entry.normal(i, term, ByteString.copyFromUtf8("w" + i)));
        return d;
    }

    private static List<Long> indexes(SimDisk d) {
        return d.entries.stream().map(Entry::index).toList();
    }

    @Test
    void aSnapshotOfAnEntryTheLogHoldsDropsOnlyTheEntriesUpToIt() {
        SimDisk d = diskWithEntries(5, 1);
        d.saveSnapshot(new SnapshotMeta(3, 1), new Register(3));
        assertEquals(List.of(4L, 5L), indexes(d));
    }

    @Test
    void aSnapshotWhoseEntryTheLogHoldsInAnotherTermReplacesTheLog() {
        SimDisk d = diskWithEntries(5, 1);
        d.saveSnapshot(new SnapshotMeta(4, 2), new Register(4));
        assertEquals(List.of(), indexes(d), "entry 5 of term 1 cannot follow entry 4 of term 2");
    }

    @Test
    void aSnapshotBeyondTheLogReplacesTheLog() {
        SimDisk d = diskWithEntries(5, 1);
        d.saveSnapshot(new SnapshotMeta(9, 1), new Register(9));
        assertEquals(List.of(), indexes(d));
    }

    @Test
    void theNewestSnapshotNeverGoesBack() {
        SimDisk d = diskWithEntries(5, 1);
        d.saveSnapshot(new SnapshotMeta(4, 1), new Register(4));
        assertThrows(SafetyViolation.class, () -> d.saveSnapshot(new SnapshotMeta(3, 1), new Register(3)));
    }

    @Test
    void aRestartStartsTheCoreFromTheSnapshotAndTheEntriesAfterIt() {
        SimNode n = new SimNode(1, RaftConfig.of(1, List.of(1L, 2L, 3L), 10, 1), 0.1);
        for (long i = 1; i <= 5; i++) n.disk.append(Entry.normal(i, 1, ByteString.copyFromUtf8("w" + i)));
        n.disk.saveHardState(new HardState(1, 0));
        n.disk.saveSnapshot(new SnapshotMeta(3, 1), new Register(3));
        n.start(new SplittableRandom(1));
        assertEquals(new SnapshotMeta(3, 1), n.core.snapshotMeta());
        assertEquals(5, n.core.status().lastIndex());
        assertEquals(new Register(3), n.state);
        assertEquals(3, n.applied);
    }
}
