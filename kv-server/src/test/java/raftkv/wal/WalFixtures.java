package raftkv.wal;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import raftkv.raft.Entry;
import raftkv.raft.EntryType;
import raftkv.raft.HardState;

/** Entries, raw segment files and byte surgery shared by the WAL tests. */
final class WalFixtures {
    private WalFixtures() {}

    /** Bytes a text protocol would choke on: NUL, CR LF, high bytes. */
    static final ByteString AWKWARD = ByteString.copyFrom(new byte[] {0, '\r', '\n', 0, (byte) 0xff, '\n', '\r', 0x7f});

    static Entry entry(long index, long term, String data) {
        return Entry.normal(index, term, ByteString.copyFromUtf8(data));
    }

    /** An entry whose data depends on its index and term, so a mix-up shows. */
    static Entry entry(long index, long term) {
        return entry(index, term, "e" + index + "t" + term);
    }

    /** Entries [from, to], all of {@code term}, with {@code dataBytes} bytes each. */
    static List<Entry> entries(long from, long to, long term, int dataBytes) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            byte[] data = new byte[dataBytes];
            Arrays.fill(data, (byte) (i * 31 + term));
            out.add(new Entry(i, term, i % 7 == 0 ? EntryType.NOOP : EntryType.NORMAL,
                    i % 7 == 0 ? ByteString.EMPTY : ByteString.copyFrom(data)));
        }
        return out;
    }

    static HardState hs(long term, long vote) {
        return new HardState(term, vote);
    }

    static List<Path> segmentFiles(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        for (long seq : Segment.list(dir)) out.add(dir.resolve(Segment.fileName(seq)));
        return out;
    }

    static Path lastSegment(Path dir) throws IOException {
        List<Path> files = segmentFiles(dir);
        return files.get(files.size() - 1);
    }

    /** Copies every file of {@code from} (not the lock) into a new folder under {@code parent}. */
    static Path copyLog(Path from, Path parent, String name) throws IOException {
        Path to = Files.createDirectories(parent.resolve(name));
        for (Path f : segmentFiles(from)) Files.copy(f, to.resolve(f.getFileName()));
        return to;
    }

    /** Where the whole records of the last segment {@code file} end: its zeros written ahead, if any, follow. */
    static long recordsEnd(Path file) throws IOException {
        return Segment.read(file, true).validBytes();
    }

    /** Whether the records of the last segment {@code file} end at {@code end}, with only zeros after them. */
    static boolean recordsEndAt(Path file, long end) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (recordsEnd(file) != end || bytes.length < end) return false;
        for (int i = (int) end; i < bytes.length; i++) if (bytes[i] != 0) return false;
        return true;
    }

    static void flipBit(Path file, long bit) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) (bit / 8)] ^= (byte) (1 << (bit % 8));
        Files.write(file, bytes);
    }

    static void cut(Path file, long size) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, (int) size));
    }

    /** A frame with any type byte and payload, and a correct checksum. */
    static byte[] frame(byte type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(9 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(1 + payload.length).putInt(0).put(type).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 8, 1 + payload.length);
        b.putInt(4, (int) crc.getValue());
        return b.array();
    }

    /** Writes a segment file holding exactly {@code records}, framed as the log frames them. */
    static Path writeSegment(Path dir, long seq, WalRecord... records) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(Segment.fileName(seq));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (WalRecord r : records) {
            ByteBuffer f = RecordCodec.encode(r);
            out.write(f.array(), f.arrayOffset(), f.remaining());
        }
        Files.write(file, out.toByteArray());
        return file;
    }

    static WalRecord header(long seq, long prevIndex, long prevTerm) {
        return new WalRecord.SegmentHeader(seq, prevIndex, prevTerm);
    }

    static WalRecord hsRecord(long term, long vote) {
        return new WalRecord.HardStateRecord(hs(term, vote));
    }

    static WalRecord entryRecord(long index, long term) {
        return new WalRecord.EntryRecord(entry(index, term));
    }

    /** The byte offsets where the records of an intact segment start, then its end. */
    static long[] recordBoundaries(Path file, boolean last) throws IOException {
        Segment.Contents c = Segment.read(file, last);
        long[] out = new long[c.records().size() + 1];
        for (int i = 0; i < c.records().size(); i++) out[i] = c.records().get(i).offset();
        out[out.length - 1] = c.validBytes();
        return out;
    }
}
