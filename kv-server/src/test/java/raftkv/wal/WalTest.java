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
    void withFsyncOffNothingIsForcedButWritesReachTheFile() throws IOException {
        try (Wal wal = Wal.open(dir, false, Wal.DEFAULT_SEGMENT_BYTES)) {
            wal.append(List.of(entry(1, 1)));
            long before = Files.size(segmentFiles(dir).get(0));
            wal.sync();
            assertEquals(0, wal.fsyncCount());
            assertTrue(Files.size(segmentFiles(dir).get(0)) > before, "sync hands the buffer to the OS");
            // A second process (a crash with the page cache intact) reads it without close.
            assertEquals(List.of(entry(1, 1)), WalRecovery.replay(dir).entries());
        }
    }

    @Test
    void everySegmentCarriesTheHardStateSoCompactionNeverLosesIt() throws IOException {
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.saveHardState(hs(7, 3));
            wal.append(entries(1, 60, 7, 8));
            wal.compactTo(Long.MAX_VALUE);
        }
        assertEquals(1, segmentFiles(dir).size());
        try (Wal wal = Wal.open(dir, false, 200)) {
            assertEquals(hs(7, 3), wal.recovered().hardState());
            List<Entry> got = wal.recovered().entries();
            assertEquals(entries(61 - got.size(), 60, 7, 8), got, "a suffix of the log");
        }
    }

    @Test
    void compactToDeletesOnlyWholeOldSegmentsAtOrBelowTheIndex() throws IOException {
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.append(entries(1, 100, 1, 8));
            int before = segmentFiles(dir).size();
            wal.compactTo(0);
            assertEquals(before, segmentFiles(dir).size());
            wal.compactTo(50);
            assertTrue(segmentFiles(dir).size() < before);
            wal.append(List.of(entry(101, 2)));
        }
        try (Wal wal = Wal.open(dir, false, 200)) {
            List<Entry> got = wal.recovered().entries();
            long first = got.get(0).index();
            assertTrue(first > 1 && first <= 51, "first recovered entry " + first);
            List<Entry> want = new ArrayList<>(entries(first, 100, 1, 8));
            want.add(entry(101, 2));
            assertEquals(want, got);
        }
    }

    @Test
    void compactionKeepsASegmentWhoseEntriesWereLaterOverwritten() {
        try (Wal wal = Wal.open(dir, false, 200)) {
            wal.append(entries(1, 30, 1, 8));
            wal.append(List.of(entry(5, 2)));
            wal.append(entries(6, 30, 2, 8).subList(0, 20));
            // Every segment holding old entries 5..30 (term 1) has an index above 4: kept.
            wal.compactTo(4);
        }
        try (Wal wal = Wal.open(dir, false, 200)) {
            List<Entry> got = wal.recovered().entries();
            assertEquals(entry(5, 2), got.get((int) (5 - got.get(0).index())));
            assertEquals(25, got.get(got.size() - 1).index());
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
