package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.kv.Feed.b;

import com.google.protobuf.UnknownFieldSet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import raftkv.proto.internal.SessionResult;
import raftkv.proto.internal.SnapshotEnd;
import raftkv.proto.internal.SnapshotHeader;
import raftkv.proto.internal.SnapshotKey;
import raftkv.proto.internal.SnapshotRecord;
import raftkv.proto.internal.SnapshotSession;

/**
 * A snapshot with a valid checksum is still refused if it breaks a rule the writer keeps, so
 * that a restored machine always holds a state some log could have produced.
 */
class SnapshotValidationTest {
    private static final long CLOCK = 10_000;

    static Stream<Arguments> brokenSnapshots() {
        SnapshotKey a = key("a", 3, 0);
        SnapshotKey z = key("z", 4, CLOCK + 1);
        SnapshotSession s1 = session(1, SessionResult.SESSION_RESULT_WRITTEN, 3);
        return Stream.of(
                broken("format 3, this node reads formats 1 and 2", header(3, 5, 1, 0)),
                broken("session 0 has a command fingerprint in format 1", header(1, 5, 0, 1),
                        rec(s1.toBuilder().setCommandCrc32C(7).build())),
                broken("applied_index 5 with applied_term 0", header(1, 5, 0, 0).toBuilder()
                        .setHeader(SnapshotHeader.newBuilder().setFormat(1).setAppliedIndex(5).setClockMs(CLOCK)).build()),
                broken("clock_ms out of range", SnapshotRecord.newBuilder().setHeader(SnapshotHeader.newBuilder()
                        .setFormat(1).setAppliedIndex(5).setAppliedTerm(1).setClockMs(-1)).build()),
                broken("the first record is KEY", rec(a)),
                broken("key 1 is out of order", header(1, 5, 2, 0), rec(z), rec(a)),
                broken("key 1 is out of order", header(1, 5, 2, 0), rec(a), rec(a)),
                broken("key 0 is empty", header(1, 5, 1, 0), rec(key("", 3, 0))),
                broken("key 0 has version 0", header(1, 5, 1, 0), rec(key("a", 0, 0))),
                broken("key 0 has version 6, outside 1..5", header(1, 5, 1, 0), rec(key("a", 6, 0))),
                broken("key 0 expires at 10000, not after the clock", header(1, 5, 1, 0), rec(key("a", 3, CLOCK))),
                broken("record END where key 1 belongs", header(1, 5, 2, 0), rec(a)),
                broken("record KEY where the end record belongs", header(1, 5, 1, 0), rec(a), rec(z)),
                broken("record KEY where session 0 belongs", header(1, 5, 1, 1), rec(a), rec(z)),
                broken("session 0 has a zero client id", header(1, 5, 0, 1), rec(session(0, SessionResult.SESSION_RESULT_DELETED, 0))),
                broken("session 1 is out of order", header(1, 5, 0, 2), rec(s1), rec(s1)),
                broken("session 0 has no known result", header(1, 5, 0, 1),
                        rec(session(1, SessionResult.SESSION_RESULT_UNSPECIFIED, 0))),
                broken("session 0 has result SESSION_RESULT_WRITTEN with version 0", header(1, 5, 0, 1),
                        rec(session(1, SessionResult.SESSION_RESULT_WRITTEN, 0))),
                broken("session 0 has result SESSION_RESULT_NOT_FOUND with version 3", header(1, 5, 0, 1),
                        rec(session(1, SessionResult.SESSION_RESULT_NOT_FOUND, 3))),
                broken("session 0 last used at 10001", header(1, 5, 0, 1), rec(s1.toBuilder().setLastUsedMs(CLOCK + 1).build())),
                broken("session 0 last used at 0, not within the hour", header(1, 5, 0, 1).toBuilder()
                        .setHeader(SnapshotHeader.newBuilder().setFormat(1).setAppliedIndex(5).setAppliedTerm(1)
                                .setClockMs(Sessions.EXPIRY_MS).setSessionCount(1)).build(),
                        rec(s1.toBuilder().setLastUsedMs(0).build())),
                broken("has fields this version does not know", header(1, 5, 0, 0).toBuilder()
                        .setUnknownFields(UnknownFieldSet.newBuilder().addField(99,
                                UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build())
                        .build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenSnapshots")
    void isRefused(String reason, byte[] snapshot) {
        CorruptSnapshotException e = assertThrows(CorruptSnapshotException.class, () -> Feed.restore(snapshot));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void theCraftingHelperMakesValidSnapshots() throws IOException {
        KvStateMachine sm = Feed.restore(craft(List.of(header(1, 5, 2, 1), rec(key("a", 3, 0)), rec(key("z", 4, CLOCK + 1)),
                rec(session(1, SessionResult.SESSION_RESULT_WRITTEN, 3)))));
        assertEquals(2, sm.size());
        assertEquals(b("z"), sm.keys().lastKey());
        assertEquals(new ApplyResult.Written(3), sm.sessions().get(1).orElseThrow().result());
    }

    @Test
    void aFormatOneSessionHasNoFingerprintAndAnswersAnyRetryAsBefore() throws IOException {
        KvStateMachine sm = Feed.restore(craft(List.of(header(1, 5, 1, 1), rec(key("a", 3, 0)),
                rec(session(1, SessionResult.SESSION_RESULT_WRITTEN, 3)))));
        assertEquals(Sessions.UNKNOWN_FINGERPRINT, sm.sessions().get(1).orElseThrow().fingerprint());
        Feed feed = new Feed(sm);
        assertEquals(new ApplyResult.Written(3), feed.set("a", "whatever", 0, CLOCK, new RequestId(1, 1)));
        // Written again in format 2, the session still has no fingerprint, and reads back the same.
        byte[] again = Feed.snapshot(sm);
        assertEquals(sm.sessions().all(), Feed.restore(again).sessions().all());
    }

    private static Arguments broken(String reason, SnapshotRecord... records) {
        return Arguments.of(reason, craft(List.of(records)));
    }

    private static SnapshotRecord header(int format, long applied, long keys, long sessions) {
        return SnapshotRecord.newBuilder().setHeader(SnapshotHeader.newBuilder().setFormat(format)
                .setAppliedIndex(applied).setAppliedTerm(1).setClockMs(CLOCK)
                .setKeyCount(keys).setSessionCount(sessions)).build();
    }

    private static SnapshotKey key(String key, long version, long expiresAt) {
        return SnapshotKey.newBuilder().setKey(b(key)).setValue(b("v")).setVersion(version).setExpiresAtMs(expiresAt)
                .build();
    }

    private static SnapshotSession session(long client, SessionResult result, long version) {
        return SnapshotSession.newBuilder().setClientId(client).setSequence(1).setLastUsedMs(CLOCK - 1)
                .setResult(result).setVersion(version).build();
    }

    private static SnapshotRecord rec(SnapshotKey key) {
        return SnapshotRecord.newBuilder().setKey(key).build();
    }

    private static SnapshotRecord rec(SnapshotSession session) {
        return SnapshotRecord.newBuilder().setSession(session).build();
    }

    /** The records, then an end record with the right checksum. */
    private static byte[] craft(List<SnapshotRecord> records) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (SnapshotRecord r : records) {
                r.writeDelimitedTo(out);
            }
            CRC32C crc = new CRC32C();
            crc.update(out.toByteArray());
            SnapshotRecord.newBuilder().setEnd(SnapshotEnd.newBuilder().setCrc32C((int) crc.getValue())).build()
                    .writeDelimitedTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
