package raftkv.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import raftkv.proto.internal.SnapshotEnd;
import raftkv.proto.internal.SnapshotHeader;
import raftkv.proto.internal.SnapshotKey;
import raftkv.proto.internal.SnapshotRecord;

/** The framing and checksum check kvctl runs on a snapshot it saves or describes. */
class SnapshotCheckTest {
    @Test
    void aWholeSnapshotPassesAndIsDescribed() throws IOException {
        byte[] good = snapshot(3);
        SnapshotCheck.Result r = SnapshotCheck.check(new ByteArrayInputStream(good));
        assertTrue(r.ok(), r::toString);
        assertEquals(new SnapshotCheck.Result(true, 42, 7, 1000, 3, 0, good.length, null), r);
    }

    @Test
    void aFlippedBitFailsTheChecksum() throws IOException {
        byte[] bad = snapshot(3);
        bad[bad.length - 12] ^= 0x20; // inside the last key's value
        SnapshotCheck.Result r = SnapshotCheck.check(new ByteArrayInputStream(bad));
        assertFalse(r.ok());
        assertTrue(r.problem().startsWith("checksum mismatch"), r.problem());
        assertEquals(42, r.index(), "what was read is still told");
    }

    @Test
    void aTruncatedFileSaysSoWhereverItIsCut() throws IOException {
        byte[] good = snapshot(3);
        for (int length = 0; length < good.length; length++) {
            SnapshotCheck.Result r = SnapshotCheck.check(new ByteArrayInputStream(Arrays.copyOf(good, length)));
            assertFalse(r.ok(), "cut at " + length);
            assertTrue(r.problem().contains("truncated") || r.problem().startsWith("cannot read"), length + ": " + r.problem());
            assertEquals(length, r.bytes());
        }
    }

    @Test
    void bytesAfterTheEndAndAWrongFirstRecordAreRefused() throws IOException {
        byte[] good = snapshot(1);
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertEquals("bytes after the end record", SnapshotCheck.check(new ByteArrayInputStream(longer)).problem());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotRecord.newBuilder().setEnd(SnapshotEnd.newBuilder().setCrc32C(0)).build().writeDelimitedTo(out);
        SnapshotCheck.Result r = SnapshotCheck.check(new ByteArrayInputStream(out.toByteArray()));
        assertFalse(r.headerRead());
        assertTrue(r.problem().contains("not the header"), r.problem());
    }

    /** A snapshot of {@code keys} keys at entry 42 of term 7, framed and checksummed as the server writes it. */
    static byte[] snapshot(int keys) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotRecord.newBuilder().setHeader(SnapshotHeader.newBuilder().setFormat(2).setAppliedIndex(42).setAppliedTerm(7)
                .setClockMs(1000).setKeyCount(keys)).build().writeDelimitedTo(out);
        for (int i = 0; i < keys; i++) {
            SnapshotRecord.newBuilder().setKey(SnapshotKey.newBuilder().setKey(ByteString.copyFromUtf8("k" + i))
                    .setValue(ByteString.copyFromUtf8("value number " + i)).setVersion(i + 1)).build().writeDelimitedTo(out);
        }
        CRC32C crc = new CRC32C();
        crc.update(out.toByteArray());
        SnapshotRecord.newBuilder().setEnd(SnapshotEnd.newBuilder().setCrc32C((int) crc.getValue())).build().writeDelimitedTo(out);
        return out.toByteArray();
    }
}
