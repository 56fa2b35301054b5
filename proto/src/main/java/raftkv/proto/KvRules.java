package raftkv.proto;

import com.google.protobuf.ByteString;

/**
 * The rules of the client contract that kv.proto states and SPEC section 4 repeats, written once
 * for every front door: the text gateway, the gRPC service, the state machine's command checks and
 * kvctl. It lives beside the .proto files because kvctl sees only this module of the server's.
 *
 * <p>Each check returns null when the input is valid, else a one-line reason for the client; the
 * caller decides how to report it (ERR_CMD_ERR, INVALID_ARGUMENT, a usage error, an exception).
 */
public final class KvRules {
    /** A key is 1 to this many bytes. */
    public static final int MAX_KEY_BYTES = 250;

    /** The largest ttl (exptime) in seconds: 2^32 - 1, as memcached's exptime and kv.proto allow. */
    public static final long MAX_TTL_SECONDS = 4_294_967_295L;

    private KvRules() {}

    /**
     * Keys: 1 to {@link #MAX_KEY_BYTES} bytes, none a control character (0x00-0x1F, 0x7F) or a
     * space (0x20); every other byte, UTF-8 included, is allowed.
     */
    public static String keyProblem(ByteString key) {
        if (key == null || key.isEmpty()) return "key is empty";
        return keyProblem(key.size(), i -> key.byteAt(i));
    }

    /** {@link #keyProblem(ByteString)} of {@code bytes[from, to)}, for parsers that hold a line. */
    public static String keyProblem(byte[] bytes, int from, int to) {
        if (to <= from) return "key is empty";
        return keyProblem(to - from, i -> bytes[from + i]);
    }

    private interface ByteAt {
        byte at(int index);
    }

    private static String keyProblem(int size, ByteAt bytes) {
        if (size > MAX_KEY_BYTES) return "key is " + size + " bytes, over the limit of " + MAX_KEY_BYTES;
        for (int i = 0; i < size; i++) {
            int b = bytes.at(i) & 0xFF;
            if (b <= 0x20 || b == 0x7F) {
                return String.format("key holds byte 0x%02X at offset %d; control characters and spaces are not allowed", b, i);
            }
        }
        return null;
    }

    /** A ttl (exptime) is 0 (never expires) to {@link #MAX_TTL_SECONDS} seconds. */
    public static String ttlProblem(long ttlSeconds) {
        if (ttlSeconds < 0 || ttlSeconds > MAX_TTL_SECONDS) {
            return "ttl must be 0 (never expires) to " + MAX_TTL_SECONDS + " seconds, got " + ttlSeconds;
        }
        return null;
    }

    /**
     * A request id, when a write carries one, has a non-zero client id and a non-zero sequence: 0
     * is how the wire says "not set", so an id with a zero would silently turn deduplication off.
     */
    public static String requestIdProblem(long clientId, long sequence) {
        if (clientId == 0 || sequence == 0) {
            return "request_id is set but its client_id or sequence is 0; both must be non-zero";
        }
        return null;
    }
}
