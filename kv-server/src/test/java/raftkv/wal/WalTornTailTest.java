package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.wal.WalFixtures.AWKWARD;
import static raftkv.wal.WalFixtures.copyLog;
import static raftkv.wal.WalFixtures.cut;
import static raftkv.wal.WalFixtures.entries;
import static raftkv.wal.WalFixtures.entry;
import static raftkv.wal.WalFixtures.flipBit;
import static raftkv.wal.WalFixtures.hs;
import static raftkv.wal.WalFixtures.lastSegment;
import static raftkv.wal.WalFixtures.segmentFiles;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.raft.Entry;
import raftkv.raft.HardState;

/**
 * A crash can leave the last record of the last segment incomplete or garbled. Recovery must
 * return exactly the whole records before it, cut the file there, and go on working.
 */
class WalTornTailTest {
    private static final long CAP = 1 << 20;

    @TempDir
    Path tmp;

    /** The writes, one record each, in order: a HardState or an Entry. */
    private static List<Object> writes() {
        List<Object> w = new ArrayList<>();
        w.add(hs(1, -1));
        w.addAll(entries(1, 6, 1, 5));
        w.add(hs(2, 1));
        w.add(entry(4, 2)); // truncates 4..6
        w.add(Entry.normal(5, 2, AWKWARD));
        w.add(hs(3, -1));
        w.add(Entry.normal(6, 3, ByteString.EMPTY));
        return w;
    }

    private static void apply(RaftStorage s, Object write) {
        if (write instanceof HardState h) {
            s.saveHardState(h);
        } else {
            s.append(List.of((Entry) write));
        }
    }

    private static long frameBytes(Object write) {
        WalRecord r = write instanceof HardState h ? new WalRecord.HardStateRecord(h) : new WalRecord.EntryRecord((Entry) write);
        return RecordCodec.encode(r).remaining();
    }

    /** What recovery must return when the file holds the first {@code n} writes whole. */
    private static RaftStorage.Recovered firstWrites(List<Object> writes, int n) {
        MemoryStorage m = new MemoryStorage();
        writes.subList(0, n).forEach(w -> apply(m, w));
        m.sync();
        return m.durableState();
    }

    private Path writeLog(List<Object> writes) {
        Path dir = tmp.resolve("source");
        try (Wal wal = Wal.open(dir, false, CAP)) {
            writes.forEach(w -> apply(wal, w));
        }
        return dir;
    }

    @Test
    void aCutAtEveryOffsetOfTheLastRecordsKeepsExactlyTheWholeRecordsBeforeIt() throws IOException {
        List<Object> writes = writes();
        Path source = writeLog(writes);
        long[] ends = new long[writes.size() + 1]; // ends[n]: where the first n writes end
        ends[0] = Wal.PREAMBLE_BYTES;
        for (int i = 0; i < writes.size(); i++) ends[i + 1] = ends[i] + frameBytes(writes.get(i));
        assertEquals(ends[writes.size()], WalFixtures.recordsEnd(lastSegment(source)));

        int firstCutRecord = writes.size() - 5;
        for (long at = ends[firstCutRecord]; at <= ends[writes.size()]; at++) {
            int whole = 0;
            while (whole < writes.size() && ends[whole + 1] <= at) whole++;
            Path dir = copyLog(source, tmp, "cut-" + at);
            cut(lastSegment(dir), at);
            RaftStorage.Recovered want = firstWrites(writes, whole);
            try (Wal wal = Wal.open(dir, false, CAP)) {
                assertEquals(want, wal.recovered(), "cut at " + at);
                assertEquals(ends[whole], Files.size(lastSegment(dir)), "file cut back to the last whole record");
            }
            assertAppendsAfterRecoverySurvive(dir, want);
        }
    }

    @Test
    void aCutAtEveryOffsetOfANewSegmentIncludingItsPreamble() throws IOException {
        Path source = tmp.resolve("source");
        try (Wal wal = Wal.open(source, false, 200)) {
            wal.saveHardState(hs(4, 2));
            wal.append(entries(1, 20, 4, 10));
        }
        List<Path> files = segmentFiles(source);
        assertTrue(files.size() >= 3);
        long size = WalFixtures.recordsEnd(lastSegment(source));
        for (long at = 0; at <= size; at++) {
            Path dir = copyLog(source, tmp, "cut-" + at);
            cut(lastSegment(dir), at);
            RaftStorage.Recovered want = replayWholeRecords(source, at);
            try (Wal wal = Wal.open(dir, false, 200)) {
                assertEquals(want, wal.recovered(), "cut at " + at);
                // A segment cut inside its preamble gets the preamble written again.
                long wantSize = at < Wal.PREAMBLE_BYTES ? Wal.PREAMBLE_BYTES : wholeRecordsEnd(lastSegment(source), at);
                assertTrue(WalFixtures.recordsEndAt(lastSegment(dir), wantSize), "cut at " + at);
            }
            assertEquals(files.size(), segmentFiles(dir).size());
            assertAppendsAfterRecoverySurvive(dir, want);
        }
    }

    @Test
    void aFlippedBitAnywhereInTheLastRecordIsATornTail() throws IOException {
        List<Object> writes = writes();
        Path source = writeLog(writes);
        RaftStorage.Recovered want = firstWrites(writes, writes.size() - 1);
        long size = WalFixtures.recordsEnd(lastSegment(source));
        long lastRecord = size - frameBytes(writes.get(writes.size() - 1));
        for (long bit = lastRecord * 8; bit < size * 8; bit++) {
            Path dir = copyLog(source, tmp, "flip-" + bit);
            flipBit(lastSegment(dir), bit);
            try (Wal wal = Wal.open(dir, false, CAP)) {
                assertEquals(want, wal.recovered(), "bit " + bit);
                assertEquals(lastRecord, Files.size(lastSegment(dir)));
            }
            assertAppendsAfterRecoverySurvive(dir, want);
        }
    }

    @Test
    void zerosOrGarbageAfterTheLastRecordAreCut() throws IOException {
        List<Object> writes = writes();
        Path source = writeLog(writes);
        long size = WalFixtures.recordsEnd(lastSegment(source));
        byte[] garbage = new byte[3000];
        new SplittableRandom(7).nextBytes(garbage);
        for (byte[] tail : List.of(new byte[4096], garbage)) {
            Path dir = copyLog(source, tmp, "tail-" + tail[0] + "-" + tail.length);
            cut(lastSegment(dir), size); // the tail goes right after the last record, where a torn write would be
            Files.write(lastSegment(dir), tail, java.nio.file.StandardOpenOption.APPEND);
            try (Wal wal = Wal.open(dir, false, CAP)) {
                assertEquals(firstWrites(writes, writes.size()), wal.recovered());
                assertTrue(WalFixtures.recordsEndAt(lastSegment(dir), size), "garbage cut, zeros kept");
            }
        }
    }

    @Test
    void anEmptyFirstSegmentIsAFreshLog() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        Files.createFile(dir.resolve(Segment.fileName(1)));
        RaftStorage.Recovered fresh = new MemoryStorage().recovered();
        try (Wal wal = Wal.open(dir, false, CAP)) {
            assertEquals(fresh, wal.recovered());
        }
        assertAppendsAfterRecoverySurvive(dir, fresh);
    }

    /** Appends after recovery (at the end, and over the last entry), then checks a reopen sees them. */
    private static void assertAppendsAfterRecoverySurvive(Path dir, RaftStorage.Recovered recovered) {
        List<Entry> want = new ArrayList<>(recovered.entries());
        long next = want.isEmpty() ? 1 : want.get(want.size() - 1).index() + 1;
        try (Wal wal = Wal.open(dir, false, CAP)) {
            wal.append(List.of(entry(next, 9)));
            wal.saveHardState(hs(9, 9));
            wal.append(List.of(entry(next, 10), entry(next + 1, 10)));
            wal.sync();
        }
        want.addAll(List.of(entry(next, 10), entry(next + 1, 10)));
        try (Wal wal = Wal.open(dir, false, CAP)) {
            assertEquals(hs(9, 9), wal.recovered().hardState());
            assertEquals(want, wal.recovered().entries());
        }
    }

    /** Replays, independently of Wal, every record of the intact log at {@code source} that ends by {@code cut} in its last segment. */
    private static RaftStorage.Recovered replayWholeRecords(Path source, long cut) throws IOException {
        MemoryStorage m = new MemoryStorage();
        List<Path> files = segmentFiles(source);
        for (Path f : files) {
            boolean last = f.equals(files.get(files.size() - 1));
            long[] bounds = WalFixtures.recordBoundaries(f, true);
            List<Segment.Positioned> records = Segment.read(f, true).records();
            for (int i = 0; i < records.size(); i++) {
                if (last && bounds[i + 1] > cut) break;
                WalRecord r = records.get(i).record();
                if (r instanceof WalRecord.HardStateRecord h) m.saveHardState(h.hardState());
                if (r instanceof WalRecord.EntryRecord e) m.append(List.of(e.entry()));
            }
        }
        m.sync();
        return m.durableState();
    }

    /** Where the last record of {@code file} that ends by {@code cut} ends. */
    private static long wholeRecordsEnd(Path file, long cut) throws IOException {
        long end = 0;
        for (long b : WalFixtures.recordBoundaries(file, true)) {
            if (b <= cut) end = b;
        }
        return end;
    }
}
