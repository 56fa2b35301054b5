package raftkv.kv;

import com.google.protobuf.ByteString;
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

    private Keys() {}

    /** Returns null if {@code key} is a valid key, else a one-line reason for the client. */
    public static String validate(ByteString key) {
        return KvRules.keyProblem(key);
    }
}
