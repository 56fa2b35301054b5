package raftkv.kv;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.pcollections.TreePMap;
import raftkv.proto.KvRules;
import raftkv.proto.internal.SessionResult;
import raftkv.proto.internal.SnapshotEnd;
import raftkv.proto.internal.SnapshotHeader;
import raftkv.proto.internal.SnapshotKey;
import raftkv.proto.internal.SnapshotRecord;
import raftkv.proto.internal.SnapshotSession;

/**
 * The snapshot stream of internal.proto (SnapshotRecord): a header, the keys in key order, the
 * sessions in client id order, and an end record holding the CRC-32C of everything before it.
 * One record per key keeps memory flat however large the store. The reader checks every rule
 * the writer keeps, so a snapshot that passes restores exactly the state that wrote it.
 */
final class KvSnapshot {
    /** SnapshotHeader.format this code writes. */
    static final int FORMAT = 2;
    /** The format before sessions kept their command's fingerprint; still read. */
    static final int FORMAT_WITHOUT_FINGERPRINTS = 1;

    private KvSnapshot() {}

    static void write(SnapshotView view, OutputStream out) throws IOException {
        CRC32C crc = new CRC32C();
        // Never closed: the caller owns out. Flushed once at the end.
        BufferedOutputStream buffered = new BufferedOutputStream(out, 64 * 1024);
        CheckedOutputStream checked = new CheckedOutputStream(buffered, crc);
        record(SnapshotRecord.newBuilder().setHeader(SnapshotHeader.newBuilder()
                .setFormat(FORMAT)
                .setAppliedIndex(view.index())
                .setAppliedTerm(view.term())
                .setClockMs(view.clockMs())
                .setKeyCount(view.keyCount())
                .setSessionCount(view.sessionCount())
                .setMembership(view.membership())), checked);
        for (Map.Entry<ByteString, Stored> e : view.keys().entrySet()) {
            Stored s = e.getValue();
            record(SnapshotRecord.newBuilder().setKey(SnapshotKey.newBuilder()
                    .setKey(e.getKey())
                    .setValue(s.value())
                    .setVersion(s.version())
                    .setExpiresAtMs(s.expiresAtMs())), checked);
        }
        for (Map.Entry<Long, Sessions.Session> e : view.sessions().entrySet()) {
            Sessions.Session s = e.getValue();
            SnapshotSession.Builder b = SnapshotSession.newBuilder()
                    .setClientId(e.getKey())
                    .setSequence(s.sequence())
                    .setLastUsedMs(s.lastUsedMs())
                    .setResult(toProto(s.result()));
            if (s.result() instanceof ApplyResult.Written w) {
                b.setVersion(w.version());
            }
            if (s.fingerprint() != Sessions.UNKNOWN_FINGERPRINT) {
                b.setCommandCrc32C((int) s.fingerprint());
            }
            record(SnapshotRecord.newBuilder().setSession(b), checked);
        }
        // The end record is outside its own checksum.
        record(SnapshotRecord.newBuilder().setEnd(SnapshotEnd.newBuilder().setCrc32C((int) crc.getValue())), buffered);
        buffered.flush();
    }

    private static void record(SnapshotRecord.Builder record, OutputStream out) throws IOException {
        record.build().writeDelimitedTo(out);
    }

    static KvStateMachine read(InputStream in) throws IOException {
        CRC32C crc = new CRC32C();
        // Unbuffered on purpose: next() reads exactly one record, so the reader stops at the
        // snapshot's last byte and the checksum covers exactly what was read.
        InputStream checked = new CheckedInputStream(in, crc);

        SnapshotRecord first = next(checked, "the header");
        if (!first.hasHeader()) throw corrupt("the first record is " + first.getRecordCase() + ", not the header");
        SnapshotHeader h = first.getHeader();
        if (h.getFormat() != FORMAT && h.getFormat() != FORMAT_WITHOUT_FINGERPRINTS) {
            throw corrupt("format " + h.getFormat() + ", this node reads formats " + FORMAT_WITHOUT_FINGERPRINTS
                    + " and " + FORMAT);
        }
        long appliedIndex = nonNegative(h.getAppliedIndex(), "applied_index");
        long appliedTerm = nonNegative(h.getAppliedTerm(), "applied_term");
        long clockMs = nonNegative(h.getClockMs(), "clock_ms");
        if ((appliedIndex == 0) != (appliedTerm == 0)) {
            throw corrupt("applied_index " + appliedIndex + " with applied_term " + appliedTerm);
        }
        SortedEntries<ByteString, Stored> keys = new SortedEntries<>(Keys.ORDER);
        ByteString previousKey = null;
        for (long i = 0; Long.compareUnsigned(i, h.getKeyCount()) < 0; i++) {
            SnapshotRecord r = next(checked, "key " + i);
            if (!r.hasKey()) throw corrupt("record " + r.getRecordCase() + " where key " + i + " belongs");
            SnapshotKey k = r.getKey();
            ByteString key = k.getKey();
            if (key.isEmpty()) throw corrupt("key " + i + " is empty");
            if (previousKey != null && Keys.ORDER.compare(previousKey, key) >= 0) {
                throw corrupt("key " + i + " is out of order");
            }
            if (k.getVersion() < 1 || k.getVersion() > appliedIndex) {
                throw corrupt("key " + i + " has version " + Long.toUnsignedString(k.getVersion())
                        + ", outside 1.." + appliedIndex);
            }
            long expiresAt = k.getExpiresAtMs();
            if (expiresAt != 0 && (expiresAt < 0 || expiresAt <= clockMs)) {
                throw corrupt("key " + i + " expires at " + Long.toUnsignedString(expiresAt)
                        + ", not after the clock " + clockMs);
            }
            keys.append(key, new Stored(k.getValue(), k.getVersion(), expiresAt));
            previousKey = key;
        }
        KvStateMachine machine = new KvStateMachine(appliedIndex, appliedTerm, clockMs, TreePMap.fromSortedMap(keys));
        if (!h.getMembership().isEmpty()) {
            try {
                machine.restoreMembership(h.getMembership());
            } catch (IllegalArgumentException e) {
                throw corrupt(e.getMessage());
            }
        }

        Long previousClient = null;
        for (long i = 0; Long.compareUnsigned(i, h.getSessionCount()) < 0; i++) {
            SnapshotRecord r = next(checked, "session " + i);
            if (!r.hasSession()) throw corrupt("record " + r.getRecordCase() + " where session " + i + " belongs");
            SnapshotSession s = r.getSession();
            long client = s.getClientId();
            if (KvRules.requestIdProblem(client, s.getSequence()) != null) {
                throw corrupt("session " + i + " has a zero client id or sequence");
            }
            if (previousClient != null && previousClient >= client) throw corrupt("session " + i + " is out of order");
            long lastUsed = s.getLastUsedMs();
            if (lastUsed < 0 || lastUsed > clockMs || clockMs - lastUsed >= Sessions.EXPIRY_MS) {
                throw corrupt("session " + i + " last used at " + Long.toUnsignedString(lastUsed)
                        + ", not within the hour up to the clock " + clockMs);
            }
            ApplyResult result = fromProto(s, appliedIndex, i);
            if (s.hasCommandCrc32C() && h.getFormat() == FORMAT_WITHOUT_FINGERPRINTS) {
                throw corrupt("session " + i + " has a command fingerprint in format " + h.getFormat());
            }
            long fingerprint = s.hasCommandCrc32C() ? Integer.toUnsignedLong(s.getCommandCrc32C()) : Sessions.UNKNOWN_FINGERPRINT;
            machine.sessions().put(client, new Sessions.Session(s.getSequence(), result, lastUsed, fingerprint));
            previousClient = client;
        }

        int expected = (int) crc.getValue();
        SnapshotRecord last = next(checked, "the end record");
        if (!last.hasEnd()) throw corrupt("record " + last.getRecordCase() + " where the end record belongs");
        if (last.getEnd().getCrc32C() != expected) {
            throw corrupt(String.format("checksum mismatch: the snapshot says %08x, its bytes give %08x",
                    last.getEnd().getCrc32C(), expected));
        }
        return machine;
    }

    // Reads one length-prefixed record. Framed by hand rather than with parseDelimitedFrom, which
    // accepts a record cut short at a field boundary by the end of the stream.
    private static SnapshotRecord next(InputStream in, String what) throws IOException {
        int first = in.read();
        if (first < 0) throw corrupt("the stream ends before " + what);
        int length;
        try {
            length = CodedInputStream.readRawVarint32(first, in);
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptSnapshotException("corrupt snapshot: bad length of " + what + ": " + e.getMessage(), e);
        }
        if (length < 0) throw corrupt("negative length of " + what);
        byte[] body = in.readNBytes(length); // grows as bytes arrive: a bad length cannot allocate 2 GiB at once
        if (body.length != length) {
            throw corrupt("the stream ends inside " + what + " (" + body.length + " of " + length + " bytes)");
        }
        SnapshotRecord r;
        try {
            r = SnapshotRecord.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptSnapshotException("corrupt snapshot: cannot read " + what + ": " + e.getMessage(), e);
        }
        if (!r.getUnknownFields().asMap().isEmpty()) throw corrupt(what + " has fields this version does not know");
        return r;
    }

    private static SessionResult toProto(ApplyResult result) {
        if (result instanceof ApplyResult.Written) return SessionResult.SESSION_RESULT_WRITTEN;
        if (result instanceof ApplyResult.Deleted) return SessionResult.SESSION_RESULT_DELETED;
        if (result instanceof ApplyResult.NotFound) return SessionResult.SESSION_RESULT_NOT_FOUND;
        if (result instanceof ApplyResult.VersionMismatch) return SessionResult.SESSION_RESULT_VERSION_MISMATCH;
        throw new IllegalStateException("a session holds " + result);
    }

    private static ApplyResult fromProto(SnapshotSession s, long appliedIndex, long i) throws CorruptSnapshotException {
        long version = s.getVersion();
        boolean written = s.getResult() == SessionResult.SESSION_RESULT_WRITTEN;
        if (written ? version < 1 || version > appliedIndex : version != 0) {
            throw corrupt("session " + i + " has result " + s.getResult() + " with version " + Long.toUnsignedString(version));
        }
        return switch (s.getResult()) {
            case SESSION_RESULT_WRITTEN -> new ApplyResult.Written(version);
            case SESSION_RESULT_DELETED -> new ApplyResult.Deleted();
            case SESSION_RESULT_NOT_FOUND -> new ApplyResult.NotFound();
            case SESSION_RESULT_VERSION_MISMATCH -> new ApplyResult.VersionMismatch();
            case SESSION_RESULT_UNSPECIFIED, UNRECOGNIZED -> throw corrupt("session " + i + " has no known result");
        };
    }

    private static long nonNegative(long value, String field) throws CorruptSnapshotException {
        if (value < 0) throw corrupt(field + " out of range: " + Long.toUnsignedString(value));
        return value;
    }

    private static CorruptSnapshotException corrupt(String why) {
        return new CorruptSnapshotException("corrupt snapshot: " + why);
    }
}
