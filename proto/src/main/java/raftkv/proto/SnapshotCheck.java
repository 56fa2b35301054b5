package raftkv.proto;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32C;
import raftkv.proto.internal.SnapshotHeader;
import raftkv.proto.internal.SnapshotRecord;

/**
 * Checks the framing and checksum of a snapshot in the format of internal.proto (SnapshotRecord)
 * without building the store: the header, as many key and session records as it announces, an
 * end record whose CRC-32C matches every byte before it, and nothing after. kvctl uses it to
 * verify a snapshot it saves and to describe a saved file; it lives beside the .proto files
 * because kvctl sees only this module of the server's. The server's own reader
 * (raftkv.kv.KvSnapshot) checks every rule of the contents too, when a snapshot is restored.
 */
public final class SnapshotCheck {
    /**
     * What a check found. {@code problem} is null when the snapshot is whole and its checksum
     * holds; otherwise it says what is wrong, and the other fields hold what was read before
     * (zero where the header itself could not be read: {@code headerRead} false).
     *
     * @param bytes the bytes read, the whole file when it is whole
     */
    public record Result(boolean headerRead, long index, long term, long clockMs, long keys, long sessions,
                         long bytes, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    private SnapshotCheck() {}

    /** Reads {@code in} to its end (or to the first problem) and checks it; IO errors propagate. */
    public static Result check(InputStream in) throws IOException {
        Reader r = new Reader(in);
        SnapshotHeader h = null;
        long keys = 0;
        long sessions = 0;
        try {
            SnapshotRecord first = r.next("the header");
            if (!first.hasHeader()) throw new Bad("the first record is " + first.getRecordCase() + ", not the header");
            h = first.getHeader();
            for (; Long.compareUnsigned(keys, h.getKeyCount()) < 0; keys++) {
                if (!r.next("key " + keys).hasKey()) throw new Bad("record where key " + keys + " belongs is not a key");
            }
            for (; Long.compareUnsigned(sessions, h.getSessionCount()) < 0; sessions++) {
                if (!r.next("session " + sessions).hasSession()) {
                    throw new Bad("record where session " + sessions + " belongs is not a session");
                }
            }
            int expected = (int) r.crc.getValue();
            SnapshotRecord last = r.next("the end record");
            if (!last.hasEnd()) throw new Bad("record where the end record belongs is " + last.getRecordCase());
            if (last.getEnd().getCrc32C() != expected) {
                throw new Bad(String.format("checksum mismatch: the snapshot says %08x, its bytes give %08x",
                        last.getEnd().getCrc32C(), expected));
            }
            if (in.read() != -1) {
                r.bytes++;
                throw new Bad("bytes after the end record");
            }
            return result(h, keys, sessions, r.bytes, null);
        } catch (Bad e) {
            return result(h, keys, sessions, r.bytes, e.getMessage());
        }
    }

    private static Result result(SnapshotHeader h, long keys, long sessions, long bytes, String problem) {
        if (h == null) return new Result(false, 0, 0, 0, 0, 0, bytes, problem);
        return new Result(true, h.getAppliedIndex(), h.getAppliedTerm(), h.getClockMs(), keys, sessions, bytes, problem);
    }

    /** A snapshot that is not whole or not intact; only within {@link #check}. */
    private static final class Bad extends Exception {
        Bad(String why) {
            super(why, null, false, false);
        }
    }

    /** Reads length-prefixed records, counting bytes and summing the CRC of what it reads. */
    private static final class Reader {
        private final InputStream in;
        private final CRC32C crc = new CRC32C();
        private long bytes;

        Reader(InputStream in) {
            this.in = in;
        }

        SnapshotRecord next(String what) throws IOException, Bad {
            int first = in.read();
            if (first < 0) throw new Bad("the file ends before " + what + " (truncated)");
            bytes++;
            crc.update(first);
            int length = 0;
            int shift = 0;
            int b = first;
            while (true) {
                length |= (b & 0x7f) << shift;
                if ((b & 0x80) == 0) break;
                shift += 7;
                if (shift > 28) throw new Bad("bad length of " + what);
                b = in.read();
                if (b < 0) throw new Bad("the file ends inside the length of " + what + " (truncated)");
                bytes++;
                crc.update(b);
            }
            if (length < 0) throw new Bad("bad length of " + what);
            byte[] body = in.readNBytes(length); // grows as bytes arrive: a bad length cannot allocate 2 GiB at once
            bytes += body.length;
            if (body.length != length) {
                throw new Bad("the file ends inside " + what + " (" + body.length + " of " + length + " bytes; truncated)");
            }
            crc.update(body);
            try {
                return SnapshotRecord.parseFrom(CodedInputStream.newInstance(body));
            } catch (InvalidProtocolBufferException e) {
                throw new Bad("cannot read " + what + ": " + e.getMessage());
            }
        }
    }
}
