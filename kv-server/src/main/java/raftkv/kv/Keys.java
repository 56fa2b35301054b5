package raftkv.kv;

import com.google.protobuf.ByteString;

/**
 * The key rules of the contract (SPEC section 4, kv.proto "Keys"), written once for both front
 * doors: 1 to 250 bytes, none of them a control character (0x00-0x1F, 0x7F) or a space (0x20).
 * Other bytes, UTF-8 included, are allowed.
 *
 * <p>The state machine itself does not call this: a key that reached the log is applied as it
 * is, since refusing it there would stop every replica on the same entry.
 */
public final class Keys {
    public static final int MAX_KEY_BYTES = 250;

    private Keys() {}

    /** Returns null if {@code key} is a valid key, else a one-line reason for the client. */
    public static String validate(ByteString key) {
        if (key == null || key.isEmpty()) {
            return "key is empty";
        }
        if (key.size() > MAX_KEY_BYTES) {
            return "key is " + key.size() + " bytes, over the limit of " + MAX_KEY_BYTES;
        }
        for (int i = 0; i < key.size(); i++) {
            int b = key.byteAt(i) & 0xFF;
            if (b <= 0x20 || b == 0x7F) {
                return String.format("key holds byte 0x%02X at offset %d; control characters and spaces are not allowed",
                        b, i);
            }
        }
        return null;
    }
}
