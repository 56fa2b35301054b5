package raftkv.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.gateway.Bytes.bs;
import static raftkv.gateway.Bytes.bytes;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The decoder on long and random streams: limits, memory, backpressure, arbitrary splits. */
class TextDecoderStreamTest {

    @Test
    void lineLimitCountsContentNotTerminator() {
        String ok = "get " + "k".repeat(12); // 16 bytes of content
        String tooLong = ok + "k";
        for (String end : List.of("\r\n", "\n")) {
            TextDecoder decoder = new TextDecoder(100, 16);
            List<Decoded> out = decoder.feed(bytes(ok + end + tooLong + end + ok + end));

            assertEquals(new TextCommand.Get(bs("k".repeat(12))), out.get(0));
            assertEquals(DecodeError.Kind.CMD_ERR, ((DecodeError) out.get(1)).kind());
            assertEquals(out.get(0), out.get(2));
            assertEquals(3, out.size());
        }
    }

    @Test
    void overlongLineIsReportedOnceAndNotBuffered() {
        TextDecoder decoder = new TextDecoder(100);
        byte[] junk = new byte[64 * 1024];
        java.util.Arrays.fill(junk, (byte) 'x');
        List<Decoded> out = new ArrayList<>();
        for (int i = 0; i < 1600; i++) { // 100 MiB without a newline
            out.addAll(decoder.feed(junk));
        }
        out.addAll(decoder.feed(bytes("\r\nget k\r\n")));

        assertEquals(List.of(DecodeError.cmdErr(false, "line longer than 2048 bytes"), new TextCommand.Get(bs("k"))),
                out);
    }

    @Test
    void tooLargeValueIsSkippedWithoutBuffering() {
        TextDecoder decoder = new TextDecoder(1024 * 1024);
        List<Decoded> out = new ArrayList<>(decoder.feed(bytes("set k 0 4294967296 noreply\r\n")));
        byte[] chunk = new byte[1024 * 1024];
        for (int i = 0; i < 4096; i++) { // 4 GiB, far more than the heap could hold
            assertEquals(List.of(), decoder.feed(chunk));
        }
        out.addAll(decoder.feed(bytes("\r\nget k\r\n")));

        assertEquals(DecodeError.Kind.TOO_LARGE, ((DecodeError) out.get(0)).kind());
        assertTrue(out.get(0).noreply());
        assertEquals(new TextCommand.Get(bs("k")), out.get(1));
        assertEquals(2, out.size());
    }

    @Test
    void largestValueArrivesInSmallPieces() {
        int max = 1024 * 1024;
        byte[] value = new byte[max];
        new SplittableRandom(7).nextBytes(value);
        TextDecoder decoder = new TextDecoder(max);
        List<Decoded> out = new ArrayList<>(decoder.feed(bytes("set big 0 " + max + "\r\n")));
        for (int i = 0; i < max; i += 1000) {
            out.addAll(decoder.feed(ByteBuffer.wrap(value, i, Math.min(1000, max - i))));
        }
        assertFalse(decoder.atCommandBoundary());
        out.addAll(decoder.feed(bytes("\r\n")));

        assertEquals(List.of(new TextCommand.Set(bs("big"), 0, ByteString.copyFrom(value), false)), out);
        assertTrue(decoder.atCommandBoundary());
    }

    @Test
    void maxItemsLeavesTheRestOfTheChunkUnread() {
        TextDecoder decoder = new TextDecoder(100);
        ByteBuffer chunk = ByteBuffer.wrap(bytes("get a\r\nbad\r\nget b\r\n"));

        assertEquals(List.of(new TextCommand.Get(bs("a"))), decoder.feed(chunk, 1));
        assertEquals(7, chunk.position());
        assertEquals(DecodeError.Kind.CMD_ERR, ((DecodeError) decoder.feed(chunk, 1).get(0)).kind());
        assertEquals(12, chunk.position());
        assertEquals(List.of(), decoder.feed(chunk, 0));
        assertEquals(List.of(new TextCommand.Get(bs("b"))), decoder.feed(chunk, 5));
        assertFalse(chunk.hasRemaining());
    }

    /**
     * Random streams of valid and malformed commands with random binary values: decoded whole, in
     * random pieces and byte by byte, they give the same items, and every valid command comes out.
     */
    @Test
    void randomStreamsDecodeTheSameInAnyPieces() {
        for (long seed = 1; seed <= 200; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            int valid = 0;
            for (int i = 0; i < 40; i++) {
                valid += appendRandomCommand(random, stream) ? 1 : 0;
            }
            byte[] input = stream.toByteArray();

            List<Decoded> whole = new TextDecoder(64).feed(input);
            TextDecoder pieces = new TextDecoder(64);
            List<Decoded> inPieces = new ArrayList<>();
            for (int at = 0; at < input.length; ) {
                int n = Math.min(input.length - at, 1 + random.nextInt(40));
                inPieces.addAll(pieces.feed(ByteBuffer.wrap(input, at, n)));
                at += n;
            }

            assertEquals(whole, inPieces, "seed " + seed);
            assertEquals(whole, byteByByte(input), "seed " + seed);
            assertEquals(valid, whole.stream().filter(d -> d instanceof TextCommand).count(), "seed " + seed);
            assertEquals(40, whole.size(), "seed " + seed);
        }
    }

    private static List<Decoded> byteByByte(byte[] input) {
        TextDecoder decoder = new TextDecoder(64);
        List<Decoded> out = new ArrayList<>();
        for (byte b : input) {
            out.addAll(decoder.feed(new byte[] {b}));
        }
        return out;
    }

    /** Appends one command, valid or not, that decodes to exactly one item; true if valid. */
    private static boolean appendRandomCommand(SplittableRandom random, ByteArrayOutputStream out) {
        byte[] value = new byte[random.nextInt(0, 80)];
        random.nextBytes(value);
        String key = "k" + random.nextInt(1000);
        String end = random.nextBoolean() ? "\r\n" : "\n";
        String header;
        boolean valid;
        switch (random.nextInt(9)) {
            case 0 -> { header = "get " + key + end; valid = true; value = null; }
            case 1 -> { header = "getm " + key + end; valid = true; value = null; }
            case 2 -> { header = "delete " + key + end; valid = true; value = null; }
            case 3 -> { header = "set " + key + " 0 " + value.length + end; valid = value.length <= 64; }
            case 4 -> { header = "cas " + key + " 9 3 " + value.length + " noreply" + end; valid = value.length <= 64; }
            case 5 -> { header = "set " + key + " -1 " + value.length + end; valid = false; }
            case 6 -> { header = "get " + key + " " + key + end; valid = false; value = null; }
            case 7 -> {
                value = java.util.Arrays.copyOf(value, Math.min(value.length, 63)); // +1 stays within 64
                header = "set " + key + " 0 " + (value.length + 1) + end;
                valid = false;
            }
            default -> { header = "nope " + key + end; valid = false; value = null; }
        }
        out.writeBytes(bytes(header));
        if (value != null) {
            out.writeBytes(value);
            // Case 7 announced one byte more: the value's last byte stands where '\r' should be, so
            // the decoder rejects it and resynchronises at this line's '\n'.
            out.writeBytes(bytes("\r\n"));
        }
        return valid;
    }
}
