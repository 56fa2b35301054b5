package raftkv.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static raftkv.gateway.Bytes.bs;
import static raftkv.gateway.Bytes.bytes;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every command and every error row of SPEC 4, each decoded whole, split in two at every byte
 * boundary, one byte at a time, and one item at a time: all must give the same items. Every error
 * case is followed by {@code get z} to show that the stream is still in step after it.
 */
class TextDecoderTest {
    static final int MAX_VALUE = 10;
    static final String K250 = "k".repeat(250);

    static Stream<Arguments> cases() {
        return Stream.of(
                // The five commands.
                row("set", "set k 0 5\r\nhello\r\n", set("k", 0, "hello", false)),
                row("set noreply", "set k 300 2 noreply\r\nhi\r\n", set("k", 300, "hi", true)),
                row("set 0-byte value", "set k 0 0\r\n\r\n", set("k", 0, "", false)),
                row("set binary value with CRLF and NUL", "set k 0 8\r\n\r\na\0\r\n\n\r\r\n",
                        set("k", 0, "\r\na\0\r\n\n\r", false)),
                row("set value of maxValueBytes", "set k 0 10\r\n0123456789\r\n", set("k", 0, "0123456789", false)),
                row("set, bare LF line", "set k 0 1\na\r\n", set("k", 0, "a", false)),
                row("set max exptime", "set k 4294967295 1\r\na\r\n", set("k", 4294967295L, "a", false)),
                row("get", "get k\r\n", get("k")),
                row("get, bare LF", "get k\n", get("k")),
                row("get 250-byte key", "get " + K250 + "\r\n", get(K250)),
                row("get UTF-8 key", "get \u00c3\u00a9t\u00c3\u00a9\r\n", get("\u00c3\u00a9t\u00c3\u00a9")),
                row("getm", "getm k\r\n", getm("k")),
                row("cas", "cas k 0 7 3\r\nabc\r\n", cas("k", 0, 7, "abc", false)),
                row("cas noreply", "cas k 5 9223372036854775807 0 noreply\r\n\r\n",
                        cas("k", 5, Long.MAX_VALUE, "", true)),
                row("delete", "delete k\r\n", delete("k")),
                row("pipelined", "get a\r\nset b 0 1\r\nx\r\ndelete c\ngetm d\r\n",
                        get("a"), set("b", 0, "x", false), delete("c"), getm("d")),
                // ERR_CMD_ERR: unknown verb, wrong token count, empty token.
                errRow("unknown verb", "foo k\r\n", cmdErr(false)),
                errRow("verbs are case-sensitive", "GET k\r\n", cmdErr(false)),
                errRow("empty line", "\r\n", cmdErr(false)),
                errRow("get without key", "get\r\n", cmdErr(false)),
                errRow("get, extra token", "get a b\r\n", cmdErr(false)),
                errRow("noreply on get", "get k noreply\r\n", cmdErr(false)),
                errRow("noreply on delete", "delete k noreply\r\n", cmdErr(false)),
                errRow("delete without key", "delete\r\n", cmdErr(false)),
                errRow("set, too few tokens", "set k 0\r\n", cmdErr(false)),
                errRow("cas, too few tokens", "cas k 0 1\r\n", cmdErr(false)),
                errRow("cas, numbytes missing, noreply", "cas k 0 1 noreply\r\n", cmdErr(true)),
                errRow("set, too many tokens", "set k 0 1 noreply extra\r\na\r\n", cmdErr(false), cmdErr(false)),
                errRow("set, unknown option (value skipped)", "set k 0 1 norepyl\r\na\r\n", cmdErr(false)),
                errRow("double space", "get  k\r\n", cmdErr(false)),
                errRow("leading space", " get k\r\n", cmdErr(false)),
                errRow("trailing space", "get k \r\n", cmdErr(false)),
                errRow("set with double space: value not skipped", "set k  0 1\r\na\r\n", cmdErr(false), cmdErr(false)),
                // ERR_CMD_ERR: numbers.
                errRow("exptime not a number", "set k x 1\r\na\r\n", cmdErr(false)),
                errRow("exptime negative", "set k -1 1\r\na\r\n", cmdErr(false)),
                errRow("exptime with sign", "set k +1 1\r\na\r\n", cmdErr(false)),
                errRow("exptime over 2^32-1", "set k 4294967296 1\r\na\r\n", cmdErr(false)),
                errRow("exptime over a long", "set k 9223372036854775808 1\r\na\r\n", cmdErr(false)),
                errRow("numbytes negative: value read as a line", "set k 0 -1\r\na\r\n", cmdErr(false), cmdErr(false)),
                errRow("numbytes over a long", "set k 0 99999999999999999999\r\n", cmdErr(false)),
                errRow("cas version negative", "cas k 0 -5 1\r\na\r\n", cmdErr(false)),
                errRow("cas version not a number", "cas k 0 v1 1 noreply\r\na\r\n", cmdErr(true)),
                errRow("malformed set with noreply", "set k -1 1 noreply\r\na\r\n", cmdErr(true)),
                // ERR_CMD_ERR: keys.
                errRow("empty key", "get \r\n", cmdErr(false)),
                errRow("251-byte key", "get k" + K250 + "\r\n", cmdErr(false)),
                errRow("key with TAB", "get a\tb\r\n", cmdErr(false)),
                errRow("key with NUL", "getm a\0b\r\n", cmdErr(false)),
                errRow("key with DEL", "delete a\u007fb\r\n", cmdErr(false)),
                errRow("key with CR inside", "get a\rb\r\n", cmdErr(false)),
                errRow("set, bad key: value skipped, never read as commands", "set a\u0001 0 7\r\nget x\r\n\r\n",
                        cmdErr(false)),
                // ERR_CMD_ERR: a value whose length differs from numbytes.
                errRow("value longer than numbytes", "set k 0 3\r\nhello\r\n", cmdErr(false)),
                errRow("value longer, noreply", "cas k 0 1 3 noreply\r\nhello\r\n", cmdErr(true)),
                errRow("value shorter: swallows the next line", "set k 0 5\r\nabc\r\nget q\r\n", cmdErr(false)),
                errRow("value then bare LF", "set k 0 1\r\na\n", cmdErr(false)),
                errRow("value then CR and junk", "set k 0 1\r\na\rXget q\r\n", cmdErr(false)),
                errRow("0-byte value, no CRLF", "set k 0 0\r\nab\r\n", cmdErr(false)),
                // ERR_TOO_LARGE: the announced bytes are skipped exactly, whatever they are.
                errRow("too large", "set k 0 11\r\nget x\r\ngety\r\n", tooLarge(false)),
                errRow("too large, noreply", "set k 0 11 noreply\r\n01234567890\r\n", tooLarge(true)),
                errRow("too large cas", "cas k 0 1 12\r\n0123456789ab\r\n", tooLarge(false)),
                errRow("too large, junk where CRLF would be", "set k 0 11\r\n01234567890XY", tooLarge(false)),
                errRow("bad key wins over too large", "set \u0001 0 11\r\n01234567890\r\n", cmdErr(false)),
                // ERR_CMD_ERR: a line over the limit, reported once; the rest of it is skipped.
                errRow("line too long", "get " + "a".repeat(TextDecoder.DEFAULT_MAX_LINE_BYTES) + "\r\n",
                        cmdErr(false)),
                errRow("line too long, spaces", " ".repeat(5000) + "\n", cmdErr(false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decodesTheSameWhateverTheSplit(String name, byte[] input, List<Decoded> expected) {
        List<Decoded> whole = new TextDecoder(MAX_VALUE).feed(input);

        assertEquals(expected, withoutReasons(whole));
        assertEquals(whole, splitInTwoEverywhere(input));
        assertEquals(whole, byteByByte(input));
        assertEquals(whole, oneItemAtATime(input));
    }

    static Arguments row(String name, String input, Decoded... expected) {
        return Arguments.of(name, bytes(input), List.of(expected));
    }

    /** An error case, followed by a get that must decode normally. */
    static Arguments errRow(String name, String input, Decoded... expected) {
        List<Decoded> all = new ArrayList<>(List.of(expected));
        all.add(get("z"));
        return Arguments.of(name, bytes(input + "get z\r\n"), all);
    }

    /** For every i, feeds [0, i) and then [i, n) to a fresh decoder; all results must agree. */
    static List<Decoded> splitInTwoEverywhere(byte[] input) {
        List<Decoded> first = null;
        for (int i = 0; i <= input.length; i++) {
            TextDecoder decoder = new TextDecoder(MAX_VALUE);
            List<Decoded> out = new ArrayList<>(decoder.feed(ByteBuffer.wrap(input, 0, i)));
            out.addAll(decoder.feed(ByteBuffer.wrap(input, i, input.length - i)));
            if (first == null) {
                first = out;
            } else {
                assertEquals(first, out, "split at " + i);
            }
        }
        return first;
    }

    static List<Decoded> byteByByte(byte[] input) {
        TextDecoder decoder = new TextDecoder(MAX_VALUE);
        List<Decoded> out = new ArrayList<>();
        for (byte b : input) {
            out.addAll(decoder.feed(new byte[] {b}));
        }
        return out;
    }

    static List<Decoded> oneItemAtATime(byte[] input) {
        TextDecoder decoder = new TextDecoder(MAX_VALUE);
        ByteBuffer buffer = ByteBuffer.wrap(input);
        List<Decoded> out = new ArrayList<>();
        while (buffer.hasRemaining()) {
            List<Decoded> items = decoder.feed(buffer, 1);
            assertEquals(true, items.size() <= 1);
            out.addAll(items);
        }
        return out;
    }

    /** Reasons are for logs; the table states kinds and noreply only. */
    static List<Decoded> withoutReasons(List<Decoded> items) {
        return items.stream()
                .map(d -> d instanceof DecodeError e ? new DecodeError(e.kind(), e.noreply(), "") : d)
                .toList();
    }

    static Decoded set(String key, long exptime, String value, boolean noreply) {
        return new TextCommand.Set(bs(key), exptime, bs(value), noreply);
    }

    static Decoded cas(String key, long exptime, long version, String value, boolean noreply) {
        return new TextCommand.Cas(bs(key), exptime, version, bs(value), noreply);
    }

    static Decoded get(String key) {
        return new TextCommand.Get(bs(key));
    }

    static Decoded getm(String key) {
        return new TextCommand.GetMeta(bs(key));
    }

    static Decoded delete(String key) {
        return new TextCommand.Delete(bs(key));
    }

    static Decoded cmdErr(boolean noreply) {
        return new DecodeError(DecodeError.Kind.CMD_ERR, noreply, "");
    }

    static Decoded tooLarge(boolean noreply) {
        return new DecodeError(DecodeError.Kind.TOO_LARGE, noreply, "");
    }
}
