package raftkv.wal;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import raftkv.raft.Entry;
import raftkv.raft.EntryType;
import raftkv.raft.HardState;

/**
 * Frames records as {@code [u32 length][u32 crc32c][u8 type][payload]}, little-endian, where
 * {@code length} counts the type byte and the payload and the CRC-32C covers those same bytes.
 */
final class RecordCodec {
    static final int FRAME_HEADER_BYTES = 8;
    // Far above any entry the store accepts (maxValueBytes plus framing); a longer length is garbage.
    static final int MAX_LENGTH = 256 << 20;

    private RecordCodec() {}

    /** The whole frame for {@code record}, ready to write (position 0, limit at its end). */
    static ByteBuffer encode(WalRecord record) {
        int length = 1 + record.payloadSize();
        if (length > MAX_LENGTH) throw new IllegalArgumentException("record of " + length + " bytes is over the limit of " + MAX_LENGTH);
        ByteBuffer out = ByteBuffer.allocate(FRAME_HEADER_BYTES + length).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(length).putInt(0).put(record.type());
        record.writePayload(out);
        if (out.hasRemaining()) throw new IllegalStateException("payload of " + record + " is shorter than its declared size");
        out.putInt(4, checksum(out.array(), FRAME_HEADER_BYTES, length));
        return out.flip();
    }

    enum Kind {
        /** A whole record with a good checksum. */
        OK,
        /** The bytes end before the record does: a write cut short. */
        INCOMPLETE,
        /** An impossible length or a checksum mismatch: torn or damaged bytes. */
        DAMAGED,
        /** The checksum matches but the content makes no sense: written wrong, never torn. */
        MALFORMED
    }

    /** What was found at one offset; {@code record} and {@code end} are set when {@code kind == OK}. */
    record Frame(Kind kind, WalRecord record, int end, String problem) {}

    /** Decodes the frame that starts at {@code off}, reading no byte at or after {@code limit}. */
    static Frame decode(byte[] buf, int off, int limit) {
        ByteBuffer in = ByteBuffer.wrap(buf, 0, limit).order(ByteOrder.LITTLE_ENDIAN);
        int left = limit - off;
        if (left < FRAME_HEADER_BYTES) return problem(Kind.INCOMPLETE, "record header cut short: " + left + " bytes left");
        int length = in.getInt(off);
        if (length < 1 || length > MAX_LENGTH) return problem(Kind.DAMAGED, "impossible record length " + Integer.toUnsignedString(length));
        if (length > left - FRAME_HEADER_BYTES) {
            return problem(Kind.INCOMPLETE, "record of " + length + " bytes cut short: " + (left - FRAME_HEADER_BYTES) + " left");
        }
        int start = off + FRAME_HEADER_BYTES;
        if (in.getInt(off + 4) != checksum(buf, start, length)) return problem(Kind.DAMAGED, "checksum mismatch");
        ByteBuffer payload = in.slice(start + 1, length - 1).order(ByteOrder.LITTLE_ENDIAN);
        try {
            WalRecord record = decodePayload(buf[start], payload, buf, start + 1);
            return new Frame(Kind.OK, record, start + length, null);
        } catch (IllegalArgumentException e) {
            return problem(Kind.MALFORMED, e.getMessage());
        }
    }

    private static WalRecord decodePayload(byte type, ByteBuffer p, byte[] buf, int payloadOff) {
        switch (type) {
            case WalRecord.SEGMENT_HEADER -> {
                requireSize(p, WalRecord.SegmentHeader.SIZE, "segment header");
                int magic = p.getInt();
                short version = p.getShort();
                if (magic != WalRecord.SegmentHeader.MAGIC) throw new IllegalArgumentException("bad magic number in segment header");
                if (version != WalRecord.SegmentHeader.VERSION) throw new IllegalArgumentException("unknown format version " + version);
                return new WalRecord.SegmentHeader(p.getLong(), p.getLong(), p.getLong());
            }
            case WalRecord.HARD_STATE -> {
                requireSize(p, WalRecord.HardStateRecord.SIZE, "hard state");
                return new WalRecord.HardStateRecord(new HardState(p.getLong(), p.getLong()));
            }
            case WalRecord.ENTRY -> {
                if (p.remaining() < WalRecord.EntryRecord.FIXED_SIZE) throw new IllegalArgumentException("entry record too short");
                long index = p.getLong();
                long term = p.getLong();
                EntryType entryType = WalRecord.EntryRecord.entryType(p.get());
                if (entryType == null) throw new IllegalArgumentException("unknown entry type " + p.get(p.position() - 1));
                ByteString data = ByteString.copyFrom(buf, payloadOff + p.position(), p.remaining());
                return new WalRecord.EntryRecord(new Entry(index, term, entryType, data));
            }
            case WalRecord.RESET -> {
                requireSize(p, WalRecord.ResetRecord.SIZE, "reset");
                return new WalRecord.ResetRecord(p.getLong(), p.getLong());
            }
            default -> throw new IllegalArgumentException("unknown record type " + type);
        }
    }

    private static void requireSize(ByteBuffer p, int size, String what) {
        if (p.remaining() != size) throw new IllegalArgumentException(what + " payload of " + p.remaining() + " bytes, expected " + size);
    }

    private static Frame problem(Kind kind, String problem) {
        return new Frame(kind, null, -1, problem);
    }

    private static int checksum(byte[] buf, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(buf, off, len);
        return (int) crc.getValue();
    }
}
