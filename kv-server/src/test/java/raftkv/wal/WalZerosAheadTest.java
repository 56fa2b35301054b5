package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.wal.WalFixtures.copyLog;
import static raftkv.wal.WalFixtures.cut;
import static raftkv.wal.WalFixtures.entries;
import static raftkv.wal.WalFixtures.hs;
import static raftkv.wal.WalFixtures.lastSegment;
import static raftkv.wal.WalFixtures.recordsEnd;
import static raftkv.wal.WalFixtures.segmentFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.raft.Entry;
import raftkv.raft.SnapshotMeta;

/**
 * The writer puts zeros on disk ahead of its records, so that an fsync after an append has no
 * file size or block allocation to write; see {@link SegmentWriter}. Recovery must read them as
 * the end of the records, never as damage, and no segment but the last may hold any.
 */
class WalZerosAheadTest {
    private static final long MB = 1 << 20;

    @TempDir
    Path tmp;

    private static boolean zerosFrom(Path file, long from) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        for (long i = from; i < bytes.length; i++) if (bytes[(int) i] != 0) return false;
        return true;
    }

    /** A log of entries 1..20 (term 1, 30 bytes each) in one segment, closed: its zeros ahead stay. */
    private Path twentyEntries() {
        Path source = tmp.resolve("source");
        try (Wal wal = Wal.open(source, false, 64 * MB)) {
            wal.append(entries(1, 20, 1, 30));
        }
        return source;
    }

    @Test
    void zerosAreWrittenAheadOfTheRecordsAChunkAtATime() throws IOException {
        Path dir = tmp.resolve("log");
        try (Wal wal = Wal.open(dir, false, 64 * MB)) {
            wal.append(entries(1, 10, 1, 100));
            wal.sync();
            Path file = lastSegment(dir);
            long size = Files.size(file);
            // The segment's first write (its preamble) put one chunk of zeros after itself.
            assertEquals(Wal.PREAMBLE_BYTES + SegmentWriter.ZEROS_AHEAD_BYTES, size);
            assertTrue(zerosFrom(file, recordsEnd(file)));
            // Records that stay within the zeros leave the file's size alone.
            wal.append(entries(11, 20, 1, 100));
            wal.sync();
            assertEquals(size, Files.size(file));
            // Records past them get the next chunk.
            wal.append(entries(21, 20 + (int) (2 * SegmentWriter.ZEROS_AHEAD_BYTES / 1000), 1, 1000));
            wal.sync();
            long end = recordsEnd(file);
            assertTrue(end > size && Files.size(file) > end && Files.size(file) <= end + SegmentWriter.ZEROS_AHEAD_BYTES,
                    "records end at " + end + ", the file at " + Files.size(file));
            assertTrue(zerosFrom(file, end));
        }
    }

    @Test
    void zerosStopAtTheSegmentSizeAndOnlyTheLastSegmentHasAny() throws IOException {
        Path dir = tmp.resolve("log");
        long segmentBytes = 4096;
        try (Wal wal = Wal.open(dir, false, segmentBytes)) {
            wal.saveHardState(hs(3, 1));
            wal.append(entries(1, 100, 3, 100));
            wal.sync();
        }
        List<Path> files = segmentFiles(dir);
        assertTrue(files.size() >= 3, files.size() + " segments");
        for (Path f : files.subList(0, files.size() - 1)) {
            // A closed segment is read as one that is not the last, which refuses any damage or zeros.
            Segment.Contents c = Segment.read(f, false);
            assertEquals(Files.size(f), c.validBytes(), f + " ends where its records do");
        }
        Path last = lastSegment(dir);
        assertEquals(segmentBytes, Files.size(last));
        assertTrue(recordsEnd(last) < segmentBytes);
    }

    @Test
    void aReopenReadsTheZerosAsTheEndKeepsThemAndAppendsOverThem() throws IOException {
        Path dir = tmp.resolve("log");
        try (Wal wal = Wal.open(dir, false, 64 * MB)) {
            wal.saveHardState(hs(2, 0));
            wal.append(entries(1, 30, 2, 50));
        }
        Path file = lastSegment(dir);
        long size = Files.size(file);
        Segment.Contents contents = Segment.read(file, true);
        assertFalse(contents.torn(), "zeros are not a torn tail");
        try (Wal wal = Wal.open(dir, false, 64 * MB)) {
            assertEquals(entries(1, 30, 2, 50), wal.recovered().entries());
            assertEquals(hs(2, 0), wal.recovered().hardState());
            assertEquals(size, Files.size(file), "the zeros are kept for the records to come");
            wal.append(entries(31, 40, 2, 50));
        }
        try (Wal wal = Wal.open(dir, false, 64 * MB)) {
            assertEquals(entries(1, 40, 2, 50), wal.recovered().entries());
        }
    }

    @Test
    void aCrashThatKeptOnlySomeOfTheZerosLosesNothing() throws IOException {
        Path source = twentyEntries();
        long end = recordsEnd(lastSegment(source));
        for (long keep : new long[] {end, end + 1, end + 3, end + 4, end + 9, end + 4096, Files.size(lastSegment(source))}) {
            Path dir = copyLog(source, tmp, "keep-" + keep);
            cut(lastSegment(dir), keep);
            try (Wal wal = Wal.open(dir, false, 64 * MB)) {
                assertEquals(entries(1, 20, 1, 30), wal.recovered().entries(), "file cut at " + keep);
                wal.append(entries(21, 21, 1, 30));
            }
            try (Wal wal = Wal.open(dir, false, 64 * MB)) {
                assertEquals(entries(1, 21, 1, 30), wal.recovered().entries(), "file cut at " + keep);
            }
        }
    }

    @Test
    void aTornRecordBeforeTheZerosIsCutAndTheRecordsBeforeItKept() throws IOException {
        Path source = twentyEntries();
        Path file = lastSegment(source);
        long end = recordsEnd(file);
        long[] bounds = WalFixtures.recordBoundaries(file, true);
        long lastRecord = bounds[bounds.length - 2];
        // The last record's write reached the disk only in part: its first bytes, zeros after.
        for (long written = 1; written < end - lastRecord; written += 7) {
            Path dir = copyLog(source, tmp, "torn-" + written);
            byte[] bytes = Files.readAllBytes(lastSegment(dir));
            java.util.Arrays.fill(bytes, (int) (lastRecord + written), (int) end, (byte) 0);
            Files.write(lastSegment(dir), bytes);
            try (Wal wal = Wal.open(dir, false, 64 * MB)) {
                assertEquals(entries(1, 19, 1, 30), wal.recovered().entries(), written + " bytes of the last record");
                assertEquals(lastRecord, Files.size(lastSegment(dir)), "a torn tail is cut, zeros and all");
            }
        }
    }

    @Test
    void damageAmongTheZerosLosesNoRecordAndIsCut() throws IOException {
        Path source = twentyEntries();
        long end = recordsEnd(lastSegment(source));
        long size = Files.size(lastSegment(source));
        for (long at : new long[] {end, end + 5, (end + size) / 2, size - 1}) {
            Path dir = copyLog(source, tmp, "flip-" + at);
            WalFixtures.flipBit(lastSegment(dir), at * 8 + 3);
            try (Wal wal = Wal.open(dir, false, 64 * MB)) {
                assertEquals(entries(1, 20, 1, 30), wal.recovered().entries(), "bit flipped at byte " + at);
                assertEquals(end, Files.size(lastSegment(dir)), "the damaged tail is cut at the records' end");
            }
        }
    }

    @Test
    void aSnapshotInstallSealsTheSegmentItLeaves() throws IOException {
        // The reset leaves the old segment behind until it is deleted: a crash in between must find
        // it without zeros, or the log would be refused as damaged in a segment that is not the last.
        Path dir = tmp.resolve("log");
        SnapshotMeta snap = new SnapshotMeta(50, 2);
        int[] created = {0};
        try (Wal wal = Wal.open(dir, false, 64 * MB, SnapshotMeta.NONE, step -> {
            if (step.equals("segment created") && ++created[0] == 2) throw new IOException("crash after " + step);
        })) {
            wal.append(entries(1, 10, 1, 30));
            wal.sync();
            try {
                wal.installSnapshot(snap);
            } catch (java.io.UncheckedIOException expected) {
                // the crash
            }
        }
        assertEquals(2, segmentFiles(dir).size(), "the old segment and the new one, before the old one's deletion");
        try (Wal wal = Wal.open(dir, false, 64 * MB, snap)) {
            assertEquals(snap, wal.recovered().snapshot());
            assertEquals(List.<Entry>of(), wal.recovered().entries());
        }
    }
}
