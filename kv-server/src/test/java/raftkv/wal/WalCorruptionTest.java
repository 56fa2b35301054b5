package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.wal.WalFixtures.copyLog;
import static raftkv.wal.WalFixtures.cut;
import static raftkv.wal.WalFixtures.entries;
import static raftkv.wal.WalFixtures.entryRecord;
import static raftkv.wal.WalFixtures.flipBit;
import static raftkv.wal.WalFixtures.frame;
import static raftkv.wal.WalFixtures.header;
import static raftkv.wal.WalFixtures.hs;
import static raftkv.wal.WalFixtures.hsRecord;
import static raftkv.wal.WalFixtures.lastSegment;
import static raftkv.wal.WalFixtures.recordBoundaries;
import static raftkv.wal.WalFixtures.segmentFiles;
import static raftkv.wal.WalFixtures.writeSegment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.raft.SnapshotMeta;

/**
 * Damage anywhere but the torn tail must stop the node with one line naming file and offset,
 * and leave the files as they were: never a silent loss of entries that may have been acknowledged.
 */
class WalCorruptionTest {
    @TempDir
    Path tmp;

    /** Opens {@code dir}, expects it to be refused for damage at {@code offset} of {@code file}, and the files untouched. */
    private static WalCorruptException assertCorrupt(Path dir, Path file, long offset) throws IOException {
        return assertCorrupt(dir, SnapshotMeta.NONE, file, offset);
    }

    /** As {@link #assertCorrupt(Path, Path, long)}, for a node whose newest snapshot is {@code snapshot}. */
    private static WalCorruptException assertCorrupt(Path dir, SnapshotMeta snapshot, Path file, long offset) throws IOException {
        List<Path> files = segmentFiles(dir);
        byte[][] before = new byte[files.size()][];
        for (int i = 0; i < files.size(); i++) before[i] = Files.readAllBytes(files.get(i));
        WalCorruptException e = assertThrows(WalCorruptException.class, () -> Wal.open(dir, false, 1 << 20, snapshot));
        assertEquals(file, e.file(), e.getMessage());
        assertEquals(offset, e.offset(), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("byte offset " + offset), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        for (int i = 0; i < files.size(); i++) assertArrayEquals(before[i], Files.readAllBytes(files.get(i)), files.get(i) + " changed");
        assertEquals(files, segmentFiles(dir));
        // The refused open released the directory: trying again gives the same answer, not "in use".
        assertThrows(WalCorruptException.class, () -> Wal.open(dir, false, 1 << 20, snapshot));
        return e;
    }

    private Path logOf(int entryCount, long cap) {
        Path dir = tmp.resolve("source");
        try (Wal wal = Wal.open(dir, false, cap)) {
            wal.saveHardState(hs(1, 1));
            wal.append(entries(1, entryCount, 1, 12));
        }
        return dir;
    }

    @Test
    void aFlippedBitInAnEarlierRecordFollowedByValidOnesIsCorruption() throws IOException {
        Path source = logOf(8, 1 << 20);
        long[] bounds = recordBoundaries(lastSegment(source), true);
        int victim = bounds.length - 4; // a record with two whole records after it
        for (long bit = bounds[victim] * 8; bit < bounds[victim + 1] * 8; bit++) {
            Path dir = copyLog(source, tmp, "flip-" + bit);
            flipBit(lastSegment(dir), bit);
            assertCorrupt(dir, lastSegment(dir), bounds[victim]);
        }
    }

    @Test
    void aDamagedHeaderFollowedByValidRecordsIsCorruption() throws IOException {
        Path source = logOf(3, 1 << 20);
        for (long bit = 0; bit < 8 * 8; bit += 5) {
            Path dir = copyLog(source, tmp, "flip-" + bit);
            flipBit(lastSegment(dir), bit);
            assertCorrupt(dir, lastSegment(dir), 0);
        }
    }

    @Test
    void anyBadRecordInASegmentThatIsNotTheLastIsCorruption() throws IOException {
        Path source = logOf(30, 200);
        Path first = segmentFiles(source).get(0);
        long[] bounds = recordBoundaries(first, false);
        long lastRecord = bounds[bounds.length - 2];
        long end = bounds[bounds.length - 1];

        Path flipped = copyLog(source, tmp, "flipped");
        flipBit(flipped.resolve(first.getFileName()), end * 8 - 3);
        assertCorrupt(flipped, flipped.resolve(first.getFileName()), lastRecord);

        Path torn = copyLog(source, tmp, "torn");
        cut(torn.resolve(first.getFileName()), end - 1);
        assertCorrupt(torn, torn.resolve(first.getFileName()), lastRecord);

        Path zeros = copyLog(source, tmp, "zeros");
        Files.write(zeros.resolve(first.getFileName()), new byte[64], StandardOpenOption.APPEND);
        assertCorrupt(zeros, zeros.resolve(first.getFileName()), end);

        // Whole records lost at the end of a non-last segment: the next header no longer fits.
        Path short1 = copyLog(source, tmp, "short");
        cut(short1.resolve(first.getFileName()), lastRecord);
        assertCorrupt(short1, segmentFiles(short1).get(1), 0);
    }

    @Test
    void aMissingSegmentIsCorruption() throws IOException {
        Path dir = logOf(30, 200);
        List<Path> files = segmentFiles(dir);
        Files.delete(files.get(2));
        assertCorrupt(dir, files.get(3), 0);
    }

    @Test
    void aSegmentUnderAnotherNameIsCorruption() throws IOException {
        Path dir = logOf(30, 200);
        List<Path> files = segmentFiles(dir);
        Path last = files.get(files.size() - 1);
        Path renamed = dir.resolve(Segment.fileName(files.size() + 1));
        Files.move(last, renamed);
        Files.copy(files.get(files.size() - 2), last);
        assertCorrupt(dir, last, 0);
    }

    @Test
    void anIndexGapIsCorruption() throws IOException {
        Path dir = tmp.resolve("gap");
        Path file = writeSegment(dir, 1, header(1, 0, 0), hsRecord(1, 1), entryRecord(1, 1), entryRecord(3, 1), entryRecord(4, 1));
        assertCorrupt(dir, file, recordBoundaries(file, true)[3]);
    }

    @Test
    void aFirstSegmentThatDoesNotStartAtIndexOneKeepsItsBase() throws IOException {
        // What compaction leaves: the log continues after entry 10 of term 2.
        Path dir = tmp.resolve("compacted");
        Path compacted = writeSegment(dir, 5, header(5, 10, 2), hsRecord(3, 1), entryRecord(11, 3), entryRecord(12, 3));
        try (Wal wal = Wal.open(dir, false, 1 << 20, new SnapshotMeta(10, 2))) {
            assertEquals(List.of(WalFixtures.entry(11, 3), WalFixtures.entry(12, 3)), wal.recovered().entries());
        }
        Path gap = tmp.resolve("compacted-gap");
        Path file = writeSegment(gap, 5, header(5, 10, 2), hsRecord(3, 1), entryRecord(12, 3));
        assertCorrupt(gap, new SnapshotMeta(10, 2), file, recordBoundaries(file, true)[2]);
        // Without a snapshot that reaches entry 10, entries 1..10 are in neither.
        WalCorruptException e = assertCorrupt(dir, SnapshotMeta.NONE, compacted, 0);
        assertTrue(e.getMessage().contains("starts after entry 10") && e.getMessage().contains("snapshot ends at entry 0"),
                e.getMessage());
    }

    @Test
    void aSnapshotOlderThanWhereTheLogStartsIsCorruption() throws IOException {
        Path dir = tmp.resolve("older-snapshot");
        Path file = writeSegment(dir, 5, header(5, 10, 2), hsRecord(3, 1), entryRecord(11, 3));
        WalCorruptException e = assertCorrupt(dir, new SnapshotMeta(7, 2), file, 0);
        assertTrue(e.getMessage().contains("entry 10") && e.getMessage().contains("entry 7") && e.getMessage().contains("8..10"),
                e.getMessage());
    }

    @Test
    void aResetPastTheSnapshotIsCorruptionAndItsOffsetIsNamed() throws IOException {
        // The newest snapshot file was lost or damaged; the node fell back to an older one.
        Path dir = tmp.resolve("reset");
        Path file = writeSegment(dir, 1, header(1, 0, 0), hsRecord(1, 1), entryRecord(1, 1), entryRecord(2, 1),
                new WalRecord.ResetRecord(20, 3), entryRecord(21, 3));
        assertCorrupt(dir, new SnapshotMeta(15, 2), file, recordBoundaries(file, true)[4]);
        try (Wal wal = Wal.open(dir, false, 1 << 20, new SnapshotMeta(20, 3))) {
            assertEquals(List.of(WalFixtures.entry(21, 3)), wal.recovered().entries());
        }
    }

    @Test
    void aSnapshotWithNoLogAtAllIsCorruption() throws IOException {
        // A node's first open creates a segment before any snapshot can exist: the hard state is lost.
        Path dir = Files.createDirectories(tmp.resolve("no-log"));
        WalCorruptException e = assertThrows(WalCorruptException.class, () -> Wal.open(dir, false, 1 << 20, new SnapshotMeta(5, 1)));
        assertTrue(e.getMessage().contains("hard state"), e.getMessage());
        assertEquals(List.of(), segmentFiles(dir));
    }

    @Test
    void aHeaderThatDoesNotContinueThePreviousSegmentIsCorruption() throws IOException {
        Path dir = tmp.resolve("mismatch");
        writeSegment(dir, 1, header(1, 0, 0), hsRecord(1, 1), entryRecord(1, 1), entryRecord(2, 1));
        Path second = writeSegment(dir, 2, header(2, 2, 2), hsRecord(1, 1), entryRecord(3, 2));
        WalCorruptException e = assertCorrupt(dir, second, 0);
        assertTrue(e.getMessage().contains("entry 2 of term 1"), e.getMessage());
    }

    @Test
    void recordsOutOfPlaceAreCorruption() throws IOException {
        Path noHeader = tmp.resolve("no-header");
        Path f1 = writeSegment(noHeader, 1, hsRecord(1, 1), entryRecord(1, 1));
        assertCorrupt(noHeader, f1, 0);

        Path noHardState = tmp.resolve("no-hard-state");
        Path f2 = writeSegment(noHardState, 1, header(1, 0, 0), entryRecord(1, 1), hsRecord(1, 1));
        assertCorrupt(noHardState, f2, recordBoundaries(f2, true)[1]);

        Path twoHeaders = tmp.resolve("two-headers");
        Path f3 = writeSegment(twoHeaders, 1, header(1, 0, 0), hsRecord(1, 1), header(1, 0, 0));
        assertCorrupt(twoHeaders, f3, recordBoundaries(f3, true)[2]);

        Path renamed = tmp.resolve("renamed");
        Path f4 = writeSegment(renamed, 1, header(3, 0, 0), hsRecord(1, 1));
        assertCorrupt(renamed, f4, 0);
    }

    @Test
    void aRecordWithAGoodChecksumButNonsenseContentIsCorruptionEvenAtTheTail() throws IOException {
        Path dir = logOf(3, 1 << 20);
        Path file = lastSegment(dir);
        long size = WalFixtures.recordsEnd(file);
        cut(file, size); // right after the last record, over the zeros written ahead
        Files.write(file, frame((byte) 42, new byte[] {1, 2, 3}), StandardOpenOption.APPEND);
        assertCorrupt(dir, file, size);
    }

    @Test
    void anOnlySegmentWithATornHeaderAfterCompactionIsCorruption() throws IOException {
        // Its header would say where the log starts; without it, that is unknown.
        Path dir = tmp.resolve("torn-only");
        Path file = writeSegment(dir, 7, header(7, 50, 4), hsRecord(4, 1));
        cut(file, 10);
        assertCorrupt(dir, file, 0);
    }
}
