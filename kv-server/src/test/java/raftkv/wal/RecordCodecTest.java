package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static raftkv.wal.WalFixtures.AWKWARD;
import static raftkv.wal.WalFixtures.frame;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.RaftCore;

class RecordCodecTest {
    private static byte[] bytes(WalRecord r) {
        ByteBuffer b = RecordCodec.encode(r);
        return Arrays.copyOfRange(b.array(), b.position(), b.limit());
    }

    private static RecordCodec.Frame decode(byte[] b) {
        return RecordCodec.decode(b, 0, b.length);
    }

    @Test
    void everyRecordTypeRoundTrips() {
        List<WalRecord> records = List.of(
                new WalRecord.SegmentHeader(7, 123_456_789_012L, 77),
                new WalRecord.HardStateRecord(new HardState(5, 3)),
                new WalRecord.HardStateRecord(new HardState(0, RaftCore.NONE)),
                new WalRecord.EntryRecord(Entry.normal(1, 1, AWKWARD)),
                new WalRecord.EntryRecord(Entry.normal(Long.MAX_VALUE, Long.MAX_VALUE, ByteString.EMPTY)),
                new WalRecord.EntryRecord(Entry.noop(42, 9)),
                new WalRecord.ResetRecord(1, 1),
                new WalRecord.ResetRecord(Long.MAX_VALUE, 123));
        for (WalRecord r : records) {
            byte[] b = bytes(r);
            RecordCodec.Frame f = decode(b);
            assertEquals(RecordCodec.Kind.OK, f.kind(), f.problem());
            assertEquals(r, f.record());
            assertEquals(b.length, f.end());
        }
    }

    @Test
    void frameIsLengthThenCrc32cOfTypeAndPayloadLittleEndian() {
        byte[] b = bytes(new WalRecord.EntryRecord(Entry.normal(3, 2, ByteString.copyFromUtf8("hi"))));
        ByteBuffer in = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1 + 8 + 8 + 1 + 2, in.getInt(0));
        CRC32C crc = new CRC32C();
        crc.update(b, 8, b.length - 8);
        assertEquals((int) crc.getValue(), in.getInt(4));
        assertEquals(WalRecord.ENTRY, b[8]);
        assertEquals(3, in.getLong(9));
        assertEquals(2, in.getLong(17));
        assertEquals(0, b[25]); // NORMAL
        assertArrayEquals("hi".getBytes(java.nio.charset.StandardCharsets.US_ASCII), Arrays.copyOfRange(b, 26, 28));
    }

    @Test
    void decodesInPlaceAtAnOffsetWithoutReadingPastTheLimit() {
        byte[] one = bytes(new WalRecord.HardStateRecord(new HardState(4, 1)));
        byte[] buf = new byte[one.length + 10];
        System.arraycopy(one, 0, buf, 5, one.length);
        assertEquals(RecordCodec.Kind.OK, RecordCodec.decode(buf, 5, 5 + one.length).kind());
        assertEquals(RecordCodec.Kind.INCOMPLETE, RecordCodec.decode(buf, 5, 5 + one.length - 1).kind());
    }

    @Test
    void everyShortPrefixIsIncomplete() {
        byte[] b = bytes(new WalRecord.EntryRecord(Entry.normal(1, 1, AWKWARD)));
        for (int n = 0; n < b.length; n++) {
            assertEquals(RecordCodec.Kind.INCOMPLETE, RecordCodec.decode(b, 0, n).kind(), "prefix of " + n);
        }
    }

    @Test
    void everyFlippedBitIsDetected() {
        byte[] b = bytes(new WalRecord.EntryRecord(Entry.normal(9, 4, AWKWARD)));
        for (int bit = 0; bit < b.length * 8; bit++) {
            byte[] c = b.clone();
            c[bit / 8] ^= (byte) (1 << (bit % 8));
            RecordCodec.Kind kind = decode(c).kind();
            assertEquals(true, kind == RecordCodec.Kind.DAMAGED || kind == RecordCodec.Kind.INCOMPLETE, "bit " + bit + ": " + kind);
        }
    }

    @Test
    void zeroAndHugeLengthsAreDamaged() {
        assertEquals(RecordCodec.Kind.DAMAGED, decode(new byte[16]).kind());
        byte[] huge = new byte[16];
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(-1);
        assertEquals(RecordCodec.Kind.DAMAGED, decode(huge).kind());
    }

    @Test
    void aGoodChecksumOverNonsenseIsMalformed() {
        assertEquals(RecordCodec.Kind.MALFORMED, decode(frame((byte) 99, new byte[4])).kind());
        assertEquals(RecordCodec.Kind.MALFORMED, decode(frame(WalRecord.HARD_STATE, new byte[15])).kind());
        assertEquals(RecordCodec.Kind.MALFORMED, decode(frame(WalRecord.ENTRY, new byte[16])).kind());
        byte[] badEntryType = bytes(new WalRecord.EntryRecord(Entry.noop(1, 1)));
        byte[] payload = Arrays.copyOfRange(badEntryType, 9, badEntryType.length);
        payload[16] = 7;
        assertEquals(RecordCodec.Kind.MALFORMED, decode(frame(WalRecord.ENTRY, payload)).kind());
        payload[16] = 0;
        payload[0] = 0; // index 0
        assertEquals(RecordCodec.Kind.MALFORMED, decode(frame(WalRecord.ENTRY, payload)).kind());
        assertEquals(RecordCodec.Kind.MALFORMED, decode(frame(WalRecord.RESET, new byte[15])).kind());
        assertEquals(RecordCodec.Kind.MALFORMED, decode(frame(WalRecord.RESET, new byte[16])).kind(), "reset to entry 0");
        byte[] header = bytes(new WalRecord.SegmentHeader(1, 0, 0));
        byte[] headerPayload = Arrays.copyOfRange(header, 9, header.length);
        headerPayload[4] = 2; // format version 2
        RecordCodec.Frame f = decode(frame(WalRecord.SEGMENT_HEADER, headerPayload));
        assertEquals(RecordCodec.Kind.MALFORMED, f.kind());
        assertEquals("unknown format version 2", f.problem());
    }

    @Test
    void aRecordOverTheLimitIsRefusedWhenWritten() {
        Entry big = Entry.normal(1, 1, ByteString.copyFrom(new byte[RecordCodec.MAX_LENGTH]));
        assertThrows(IllegalArgumentException.class, () -> RecordCodec.encode(new WalRecord.EntryRecord(big)));
    }

    @Test
    void aResetIsIndexThenTermLittleEndian() {
        byte[] b = bytes(new WalRecord.ResetRecord(0x0102030405060708L, 9));
        ByteBuffer in = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1 + 16, in.getInt(0));
        assertEquals(4, b[8]);
        assertEquals(0x0102030405060708L, in.getLong(9));
        assertEquals(9, in.getLong(17));
    }
}
