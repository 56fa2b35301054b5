package raftkv.gateway;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import raftkv.proto.KvRules;

/**
 * Parses one command line (its terminator already removed) into a command, the header of a
 * set/cas whose value follows, or an error. Pure: no state between lines.
 *
 * <p>Tokens are separated by single spaces, so an empty token (two spaces, a leading or a trailing
 * space) makes the line malformed. Verbs are case-sensitive, as in memcached.
 */
final class CommandLine {
    private static final byte[] NOREPLY = bytes("noreply");
    private static final byte[] SET = bytes("set");
    private static final byte[] CAS = bytes("cas");
    private static final byte[] GET = bytes("get");
    private static final byte[] GETM = bytes("getm");
    private static final byte[] DELETE = bytes("delete");
    // Longest line worth splitting: cas + key + 3 numbers + noreply, with room to spare; a longer
    // line is malformed whatever it holds, so its tokens are never all located.
    private static final int MAX_TOKENS = 8;

    /** What one line turned out to be. */
    sealed interface Result {}

    /** A get, getm or delete: complete on its line. */
    record Complete(TextCommand command) implements Result {}

    /** A well-formed set or cas header: {@code numbytes} value bytes and {@code \r\n} follow. */
    record ValueHeader(boolean cas, ByteString key, long exptime, long version, int numbytes, boolean noreply)
            implements Result {}

    /**
     * A malformed line. {@code skipBytes} is how many bytes after the line belong to it and must be
     * discarded unread (a set/cas value and its {@code \r\n}), or 0.
     */
    record Rejected(DecodeError error, long skipBytes) implements Result {}

    private CommandLine() {}

    static Result parse(byte[] line, int length, int maxValueBytes) {
        int[] starts = new int[MAX_TOKENS];
        int[] ends = new int[MAX_TOKENS];
        int count = 0;
        boolean emptyToken = false;
        int start = 0;
        int lastStart = 0;
        for (int i = 0; i <= length; i++) {
            if (i == length || line[i] == ' ') {
                if (i == start) {
                    emptyToken = true;
                }
                lastStart = start;
                if (count < MAX_TOKENS) {
                    starts[count] = start;
                    ends[count] = i;
                }
                count++;
                start = i + 1;
            }
        }
        Tokens t = new Tokens(line, starts, ends, Math.min(count, MAX_TOKENS));
        if (t.is(0, SET) || t.is(0, CAS)) {
            boolean noreply = Tokens.equal(line, lastStart, length, NOREPLY);
            return parseSetOrCas(t, count, emptyToken, noreply, t.is(0, CAS), maxValueBytes);
        }
        if (emptyToken) {
            return reject(false, "empty token");
        }
        boolean get = t.is(0, GET);
        boolean getm = t.is(0, GETM);
        boolean delete = t.is(0, DELETE);
        if (!get && !getm && !delete) {
            return reject(false, "unknown verb");
        }
        if (count != 2) {
            return reject(false, "wrong token count");
        }
        String keyProblem = keyProblem(t, 1);
        if (keyProblem != null) {
            return reject(false, keyProblem);
        }
        ByteString key = t.bytes(1);
        return new Complete(get ? new TextCommand.Get(key)
                : getm ? new TextCommand.GetMeta(key) : new TextCommand.Delete(key));
    }

    /**
     * set: {@code set key exptime numbytes [noreply]}; cas: {@code cas key exptime version numbytes
     * [noreply]}. If the shape is right (token count, no empty token) and numbytes is a valid
     * number, the value is skipped whatever else is wrong, so that value bytes are never read as
     * commands; otherwise nothing can be known about where the value ends, and nothing is skipped.
     * {@code noreply} is whether the line's last token is {@code noreply}, which is all a malformed
     * line can tell about it (as in memcached).
     */
    private static Result parseSetOrCas(
            Tokens t, int count, boolean emptyToken, boolean noreply, boolean cas, int maxValueBytes) {
        String verb = cas ? "cas" : "set";
        int fixed = cas ? 5 : 4;
        if (emptyToken || (count != fixed && count != fixed + 1)) {
            return reject(noreply, verb + ": wrong token count or empty token");
        }
        long numbytes = t.number(fixed - 1);
        if (numbytes < 0) {
            return reject(noreply, verb + ": numbytes is not a number");
        }
        long skip = numbytes > Long.MAX_VALUE - 2 ? Long.MAX_VALUE : numbytes + 2;
        long exptime = t.number(2);
        if (KvRules.ttlProblem(exptime) != null) {
            return new Rejected(DecodeError.cmdErr(noreply, verb + ": bad exptime"), skip);
        }
        long version = cas ? t.number(3) : 0;
        if (version < 0) {
            return new Rejected(DecodeError.cmdErr(noreply, "cas: bad version"), skip);
        }
        String keyProblem = keyProblem(t, 1);
        if (keyProblem != null) {
            return new Rejected(DecodeError.cmdErr(noreply, keyProblem), skip);
        }
        if (count == fixed + 1 && !noreply) {
            return new Rejected(DecodeError.cmdErr(false, verb + ": extra token"), skip);
        }
        if (numbytes > maxValueBytes) {
            return new Rejected(new DecodeError(DecodeError.Kind.TOO_LARGE, noreply,
                    verb + ": " + numbytes + " bytes over " + maxValueBytes), skip);
        }
        return new ValueHeader(cas, t.bytes(1), exptime, version, (int) numbytes, noreply);
    }

    private static Rejected reject(boolean noreply, String reason) {
        return new Rejected(DecodeError.cmdErr(noreply, reason), 0);
    }

    private static String keyProblem(Tokens t, int index) {
        return KvRules.keyProblem(t.line, t.starts[index], t.ends[index]);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Token boundaries within the line; only the first MAX_TOKENS are located. */
    private record Tokens(byte[] line, int[] starts, int[] ends, int located) {
        boolean is(int index, byte[] expected) {
            return index < located && equal(line, starts[index], ends[index], expected);
        }

        static boolean equal(byte[] line, int from, int to, byte[] expected) {
            if (to - from != expected.length) {
                return false;
            }
            for (int i = 0; i < expected.length; i++) {
                if (line[from + i] != expected[i]) {
                    return false;
                }
            }
            return true;
        }

        int length(int index) {
            return ends[index] - starts[index];
        }

        ByteString bytes(int index) {
            return ByteString.copyFrom(line, starts[index], length(index));
        }

        /** The token as a non-negative decimal long: digits only; -1 if it is not one or overflows. */
        long number(int index) {
            if (length(index) == 0) {
                return -1;
            }
            long value = 0;
            for (int i = starts[index]; i < ends[index]; i++) {
                int digit = line[i] - '0';
                if (digit < 0 || digit > 9 || value > (Long.MAX_VALUE - digit) / 10) {
                    return -1;
                }
                value = value * 10 + digit;
            }
            return value;
        }
    }
}
