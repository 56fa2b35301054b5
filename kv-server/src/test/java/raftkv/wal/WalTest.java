package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.wal.WalFixtures.entries;
import static raftkv.wal.WalFixtures.entry;
import static raftkv.wal.WalFixtures.hs;
import static raftkv.wal.WalFixtures.segmentFiles;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.raft.Entry;
import raftkv.raft.SnapshotMeta;

/** The file log beyond the shared contract: segments, group commit, compaction, locking. */
class WalTest {
    @TempDir
    Path dir;

    @Test
    void aSmallCapRotatesIntoManySegmentsAndRecoveryReadsThemAll() throws IOException {
        List<Entry> want = entries(1, 300, 1, 20);
        try (Wal wal = Wal.open(dir, false, 256)) {
            wal.saveHardState(hs(1, 0));
            for (Entry e : want) {
                wal.append(List.of(e));
                if (e.index() % 10 == 0) wal.sync();
            }
        }
        List<Path> files = segmentFiles(dir);
        assertTrue(files.size() > 30, files.size() + " segments");
        for (Path f : files) assertTrue(Files.size(f) <= 256, f + " is " + Files.size(f) + " bytes");
        for (int i = 0; i < files.size(); i++) assertEquals(Segment.fileName(i + 1), files.get(i).getFileName().toString());
        try (Wal wal = Wal.open(dir, false, 256)) {
            assertEquals(hs(1, 0), wal.recovered().hardState());
            assertEquals(want, wal.recovered().entries());
        }
    }

    @Test
    void aMembershipEntryIsStoredWithItsType() {
        Entry config = Entry.config(2, 1, raftkv.raft.Membership.ofVoters(List.of(1L, 2L, 3L)));
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.append(List.of(entry(1, 1), config));
        }
        try (Wal wal = Wal.open(dir, false, 200)) {
            assertEquals(List.of(entry(1, 1), config), wal.recovered().entries());
        }
    }

    @Test
    void aRecordLargerThanTheCapGetsASegmentOfItsOwn() {
        Entry big = Entry.normal(2, 1, ByteString.copyFrom(new byte[1000]));
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.append(List.of(entry(1, 1), big, entry(3, 1)));
        }
        try (Wal wal = Wal.open(dir, false, 200)) {
            assertEquals(List.of(entry(1, 1), big, entry(3, 1)), wal.recovered().entries());
        }
    }

    @Test
    void aTruncationReachingIntoOlderSegmentsSurvivesReopen() {
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.append(entries(1, 40, 1, 8));
            wal.append(List.of(entry(7, 2)));
        }
        try (Wal wal = Wal.open(dir, false, 200)) {
            List<Entry> want = new ArrayList<>(entries(1, 6, 1, 8));
            want.add(entry(7, 2));
            assertEquals(want, wal.recovered().entries());
            wal.append(List.of(entry(8, 2)));
        }
        try (Wal wal = Wal.open(dir, false, 200)) {
            assertEquals(8, wal.recovered().entries().size());
            assertEquals(entry(8, 2), wal.recovered().entries().get(7));
        }
    }

    @Test
    void groupCommitForcesOncePerSyncAndNotAtAllWhenNothingIsNew() {
        try (Wal wal = Wal.open(dir, true, Wal.DEFAULT_SEGMENT_BYTES)) {
            long atOpen = wal.fsyncCount();
            wal.saveHardState(hs(1, 1));
            for (int i = 1; i <= 50; i++) wal.append(List.of(entry(i, 1)));
            wal.sync();
            assertEquals(atOpen + 1, wal.fsyncCount());
            wal.sync();
            wal.sync();
            assertEquals(atOpen + 1, wal.fsyncCount());
            wal.append(List.of(entry(51, 1)));
            wal.sync();
            assertEquals(atOpen + 2, wal.fsyncCount());
        }
    }

    @Test
    void openForcesTheLastSegmentThatRecoveryReliedOn() {
        try (Wal wal = Wal.open(dir, false, Wal.DEFAULT_SEGMENT_BYTES)) {
            wal.append(List.of(entry(1, 1))); // as a crashed process leaves it: maybe in the page cache only
        }
        try (Wal wal = Wal.open(dir, true, Wal.DEFAULT_SEGMENT_BYTES)) {
            assertEquals(1, wal.fsyncCount());
        }
    }

    @Test
    void withFsyncOffNothingIsForcedButWritesReachTheFile() throws IOException {
        try (Wal wal = Wal.open(dir, false, Wal.DEFAULT_SEGMENT_BYTES)) {
            wal.append(List.of(entry(1, 1)));
            long before = WalFixtures.recordsEnd(segmentFiles(dir).get(0));
            wal.sync();
            assertEquals(0, wal.fsyncCount());
            assertTrue(WalFixtures.recordsEnd(segmentFiles(dir).get(0)) > before, "sync hands the buffer to the OS");
            // A second process (a crash with the page cache intact) reads it without close.
            assertEquals(List.of(entry(1, 1)), WalRecovery.replay(dir).entries());
        }
    }

    @Test
    void everySegmentCarriesTheHardStateSoCompactionNeverLosesIt() throws IOException {
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.saveHardState(hs(7, 3));
            wal.append(entries(1, 60, 7, 8));
            wal.compact(60);
        }
        assertEquals(1, segmentFiles(dir).size());
        SnapshotMeta snap = new SnapshotMeta(60, 7);
        try (Wal wal = Wal.open(dir, false, 200, snap)) {
            assertEquals(new RaftStorage.Recovered(hs(7, 3), snap, List.of()), wal.recovered());
        }
        List<Entry> kept = WalRecovery.replay(dir).entries();
        assertEquals(entries(61 - kept.size(), 60, 7, 8), kept, "the last segment's entries stay on disk");
    }

    @Test
    void compactDeletesOnlyWholeOldSegmentsAtOrBelowTheIndex() throws IOException {
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.append(entries(1, 100, 1, 8));
            int before = segmentFiles(dir).size();
            wal.compact(0);
            assertEquals(before, segmentFiles(dir).size());
            wal.compact(50);
            assertTrue(segmentFiles(dir).size() < before);
            wal.append(List.of(entry(101, 2)));
        }
        List<Entry> kept = WalRecovery.replay(dir).entries();
        long first = kept.get(0).index();
        assertTrue(first > 1 && first <= 51, "first entry on disk " + first);
        List<Entry> want = new ArrayList<>(entries(first, 100, 1, 8));
        want.add(entry(101, 2));
        assertEquals(want, kept);
        SnapshotMeta snap = new SnapshotMeta(50, 1);
        try (Wal wal = Wal.open(dir, false, 200, snap)) {
            assertEquals(want.subList((int) (51 - first), want.size()), wal.recovered().entries());
        }
    }

    @Test
    void compactionFreesSegmentsWhoseEntriesATruncationDeleted() throws IOException {
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.append(entries(1, 30, 1, 8));
            wal.append(List.of(entry(5, 2)));
            wal.append(entries(6, 30, 2, 8).subList(0, 20));
            // Old entries 5..30 of term 1 count for nothing now: only the segments from the one
            // holding entry 5 of term 2 on are kept.
            wal.compact(4);
        }
        List<Path> files = segmentFiles(dir);
        Segment.Contents first = Segment.read(files.get(0), files.size() == 1);
        assertTrue(first.records().stream().anyMatch(p -> p.record().equals(new WalRecord.EntryRecord(entry(5, 2)))),
                "the first segment kept holds the truncation");
        // Entry 4 is no longer on disk, so its term is unknown; the snapshot that covers it is trusted.
        SnapshotMeta snap = new SnapshotMeta(4, 1);
        try (Wal wal = Wal.open(dir, false, 200, snap)) {
            List<Entry> want = new ArrayList<>(List.of(entry(5, 2)));
            want.addAll(entries(6, 25, 2, 8));
            assertEquals(want, wal.recovered().entries());
        }
    }

    @Test
    void compactionNeverRunsAheadOfATruncationThatIsNotDurableYet() throws IOException {
        SnapshotMeta snap = new SnapshotMeta(4, 1);
        Path log = dir.resolve("log");
        try (Wal wal = Wal.open(log, false, 200)) {
            wal.append(entries(1, 30, 1, 8));
            wal.sync();
            wal.append(List.of(entry(5, 2))); // still in the write buffer
            wal.compact(4);
            // A crash now: the files as they are, without what close would still write.
            Path crashed = WalFixtures.copyLog(log, dir, "crashed");
            try (Wal after = Wal.open(crashed, false, 200, snap)) {
                assertEquals(List.of(entry(5, 2)), after.recovered().entries());
            }
        }
    }

    @Test
    void recoveryKnowsWhichEntriesATruncationDeletedSoCompactionFreesTheirSegments() throws IOException {
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.append(entries(1, 30, 1, 8));
            wal.append(List.of(entry(5, 2)));
            wal.append(entries(6, 30, 2, 8).subList(0, 20));
        }
        int before = segmentFiles(dir).size();
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.compact(4);
        }
        assertTrue(segmentFiles(dir).size() < before);
        Segment.Contents first = Segment.read(segmentFiles(dir).get(0), false);
        assertTrue(first.records().stream().anyMatch(p -> p.record().equals(new WalRecord.EntryRecord(entry(5, 2)))));
    }

    @Test
    void cutThenCompactToTheLastIndexLeavesOnlyTheNewSegment() throws IOException {
        try (Wal wal = Wal.open(dir, false, 300)) {
            wal.saveHardState(hs(2, 1));
            wal.append(entries(1, 40, 2, 8));
            wal.cut();
            Path newest = WalFixtures.lastSegment(dir);
            assertEquals(Wal.PREAMBLE_BYTES, WalFixtures.recordsEnd(newest));
            int segments = segmentFiles(dir).size();
            wal.cut(); // the current segment holds nothing yet: no new one
            assertEquals(segments, segmentFiles(dir).size());
            wal.compact(40);
            assertEquals(List.of(newest), segmentFiles(dir));
        }
        SnapshotMeta snap = new SnapshotMeta(40, 2);
        try (Wal wal = Wal.open(dir, false, 300, snap)) {
            assertEquals(new RaftStorage.Recovered(hs(2, 1), snap, List.of()), wal.recovered());
        }
    }

    @Test
    void installSnapshotLeavesOneSegmentThatContinuesAfterTheSnapshotDurableAtOnce() throws IOException {
        SnapshotMeta snap = new SnapshotMeta(100, 5);
        try (Wal wal = Wal.open(dir, false, 300)) {
            wal.saveHardState(hs(4, 1));
            wal.append(entries(1, 40, 4, 8));
            wal.sync();
            wal.saveHardState(hs(5, 2));
            wal.installSnapshot(snap);
            List<Path> files = segmentFiles(dir);
            assertEquals(1, files.size());
            List<Segment.Positioned> records = Segment.read(files.get(0), true).records();
            assertEquals(new WalRecord.SegmentHeader(Segment.list(dir).get(0), 100, 5), records.get(0).record());
            assertEquals(new WalRecord.HardStateRecord(hs(5, 2)), records.get(1).record());
            assertEquals(2, records.size());
            // Durable before close: another reader sees it now.
            WalRecovery.Result r = WalRecovery.replay(dir);
            assertEquals(hs(5, 2), r.hardState());
            assertEquals(100, r.log().prevIndex());
            assertEquals(List.of(), r.entries());
            wal.append(List.of(entry(101, 5)));
        }
        try (Wal wal = Wal.open(dir, false, 300, snap)) {
            assertEquals(new RaftStorage.Recovered(hs(5, 2), snap, List.of(entry(101, 5))), wal.recovered());
        }
    }

    @Test
    void openWithASnapshotTheLogHoldsRewritesNothing() throws IOException {
        try (Wal wal = Wal.open(dir, false, 300)) {
            wal.append(entries(1, 40, 1, 8));
        }
        List<Path> files = segmentFiles(dir);
        List<byte[]> before = new ArrayList<>();
        for (Path f : files) before.add(Files.readAllBytes(f));
        try (Wal wal = Wal.open(dir, false, 300, new SnapshotMeta(30, 1))) {
            assertEquals(entries(31, 40, 1, 8), wal.recovered().entries());
        }
        assertEquals(files, segmentFiles(dir));
        for (int i = 0; i < files.size(); i++) assertTrue(java.util.Arrays.equals(before.get(i), Files.readAllBytes(files.get(i))));
    }

    @Test
    void openWithASnapshotTheLogDoesNotHoldRestartsItDurably() throws IOException {
        try (Wal wal = Wal.open(dir, false, 300)) {
            wal.saveHardState(hs(3, 3));
            wal.append(entries(1, 40, 3, 8));
        }
        SnapshotMeta snap = new SnapshotMeta(30, 4); // the log has entry 30 of term 3
        try (Wal wal = Wal.open(dir, false, 300, snap)) {
            assertEquals(new RaftStorage.Recovered(hs(3, 3), snap, List.of()), wal.recovered());
            assertEquals(1, segmentFiles(dir).size());
            assertEquals(30, WalRecovery.replay(dir).log().prevIndex());
            assertThrows(IllegalArgumentException.class, () -> wal.append(List.of(entry(30, 4))));
            wal.append(List.of(entry(31, 4)));
        }
        // The older snapshot no longer fits: the log starts after it.
        assertThrows(WalCorruptException.class, () -> Wal.open(dir, false, 300, new SnapshotMeta(20, 3)));
        try (Wal wal = Wal.open(dir, false, 300, snap)) {
            assertEquals(List.of(entry(31, 4)), wal.recovered().entries());
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused() {
        Wal first = Wal.open(dir, false, 4096);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Wal.open(dir, false, 4096));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        first.close();
        Wal.open(dir, false, 4096).close();
    }

    @Test
    void openCreatesMissingDirectoriesAndIgnoresForeignFiles() throws IOException {
        Path nested = dir.resolve("a/b/wal");
        Wal.open(nested, false, 4096).close();
        Files.writeString(nested.resolve("notes.txt"), "not a segment");
        Files.writeString(nested.resolve("123.wal"), "not a segment name either");
        try (Wal wal = Wal.open(nested, false, 4096)) {
            assertEquals(List.of(), wal.recovered().entries());
        }
    }

    @Test
    void aNonPositiveCapIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Wal.open(dir, false, 0));
    }
}
