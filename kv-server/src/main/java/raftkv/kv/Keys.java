package raftkv.kv;

import com.google.protobuf.ByteString;
import java.util.Comparator;
import raftkv.proto.KvRules;

/**
 * The key rules of the contract (SPEC section 4, kv.proto "Keys") as the node's service checks
 * them: 1 to 250 bytes, none of them a control character (0x00-0x1F, 0x7F) or a space (0x20).
 * Other bytes, UTF-8 included, are allowed. The rule itself is {@link KvRules}', shared with kvctl.
 *
 * <p>The state machine itself does not call this: a key that reached the log is applied as it
 * is, since refusing it there would stop every replica on the same entry.
 */
public final class Keys {
    public static final int MAX_KEY_BYTES = KvRules.MAX_KEY_BYTES;

    /**
     * The order of keys everywhere (the state machine's map, snapshots), as the contract compares
     * keys: bytes compared as unsigned values, a shorter key before any longer key it begins. The
     * same order as protobuf's {@link ByteString#unsignedLexicographicalComparator()}, which walks
     * two byte iterators through interface calls; every apply and every read compares a key with
     * about log2(keys) others, so this one indexes the bytes directly.
     */
    public static final Comparator<ByteString> ORDER = Keys::compare;

    private Keys() {}

    /** Compares {@code a} and {@code b} in {@link #ORDER}. */
    public static int compare(ByteString a, ByteString b) {
        int common = Math.min(a.size(), b.size());
        for (int i = 0; i < common; i++) {
            int diff = Byte.toUnsignedInt(a.byteAt(i)) - Byte.toUnsignedInt(b.byteAt(i));
            if (diff != 0) return diff;
        }
        return Integer.compare(a.size(), b.size());
    }

    /** Returns null if {@code key} is a valid key, else a one-line reason for the client. */
    public static String validate(ByteString key) {
        return KvRules.keyProblem(key);
    }
}
