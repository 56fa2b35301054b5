package raftkv.wal;

import java.nio.ByteBuffer;
import raftkv.raft.Entry;
import raftkv.raft.EntryType;
import raftkv.raft.HardState;

/**
 * What one framed record of a segment holds. {@link RecordCodec} frames and checksums them; each
 * record only knows its type code and how to write its payload (integers little-endian).
 */
sealed interface WalRecord permits WalRecord.SegmentHeader, WalRecord.HardStateRecord, WalRecord.EntryRecord,
        WalRecord.ResetRecord {
    // Type codes are part of the file format: never renumber.
    byte SEGMENT_HEADER = 1;
    byte HARD_STATE = 2;
    byte ENTRY = 3;
    byte RESET = 4;

    byte type();

    int payloadSize();

    void writePayload(ByteBuffer out);

    /**
     * The first record of every segment. Payload: u32 magic, u16 format version, u64 the segment's
     * sequence number (it must match the file name), u64 index and u64 term of the last log entry
     * when the segment was created (0, 0 for none): replaying the segments before it must end at
     * exactly that entry.
     */
    record SegmentHeader(long seq, long prevIndex, long prevTerm) implements WalRecord {
        static final int MAGIC = 0x574B5652; // "RVKW" little-endian: raftkv wal
        static final short VERSION = 1;
        static final int SIZE = 4 + 2 + 8 + 8 + 8;

        @Override
        public byte type() {
            return SEGMENT_HEADER;
        }

        @Override
        public int payloadSize() {
            return SIZE;
        }

        @Override
        public void writePayload(ByteBuffer out) {
            out.putInt(MAGIC).putShort(VERSION).putLong(seq).putLong(prevIndex).putLong(prevTerm);
        }
    }

    /** Term and vote; the last one in the log wins. Payload: u64 term, i64 votedFor. */
    record HardStateRecord(HardState hardState) implements WalRecord {
        static final int SIZE = 16;

        @Override
        public byte type() {
            return HARD_STATE;
        }

        @Override
        public int payloadSize() {
            return SIZE;
        }

        @Override
        public void writePayload(ByteBuffer out) {
            out.putLong(hardState.term()).putLong(hardState.votedFor());
        }
    }

    /**
     * One log entry. Replaying it first deletes every entry at or after its index. Payload:
     * u64 index, u64 term, u8 entry type (0 normal, 1 no-op), then the data bytes to the end.
     */
    record EntryRecord(Entry entry) implements WalRecord {
        static final int FIXED_SIZE = 8 + 8 + 1;

        @Override
        public byte type() {
            return ENTRY;
        }

        @Override
        public int payloadSize() {
            return FIXED_SIZE + entry.data().size();
        }

        @Override
        public void writePayload(ByteBuffer out) {
            out.putLong(entry.index()).putLong(entry.term()).put(entryTypeCode(entry.type()));
            entry.data().copyTo(out);
        }

        static byte entryTypeCode(EntryType type) {
            return switch (type) {
                case NORMAL -> 0;
                case NOOP -> 1;
                case CONFIG -> 2;
            };
        }

        /** The entry type for a stored code, or null if the code is unknown. */
        static EntryType entryType(byte code) {
            return switch (code) {
                case 0 -> EntryType.NORMAL;
                case 1 -> EntryType.NOOP;
                case 2 -> EntryType.CONFIG;
                default -> null;
            };
        }
    }

    /**
     * The log restarts after entry {@code index} of {@code term}: a follower installed a snapshot
     * its log did not cover. Replaying it deletes every entry; the next entry is {@code index + 1}.
     * Payload: u64 index, u64 term (both > 0).
     */
    record ResetRecord(long index, long term) implements WalRecord {
        static final int SIZE = 16;

        public ResetRecord {
            if (index <= 0 || term <= 0) throw new IllegalArgumentException("reset to entry " + index + " of term " + term);
        }

        @Override
        public byte type() {
            return RESET;
        }

        @Override
        public int payloadSize() {
            return SIZE;
        }

        @Override
        public void writePayload(ByteBuffer out) {
            out.putLong(index).putLong(term);
        }
    }
}
