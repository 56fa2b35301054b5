package raftkv.gateway;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;

/** Test helpers: protocol text as bytes, one char per byte (so "\0" and "\u00ff" are single bytes). */
final class Bytes {
    private Bytes() {}

    static byte[] bytes(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    static ByteString bs(String latin1) {
        return ByteString.copyFrom(bytes(latin1));
    }

    static String text(ByteString bytes) {
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }
}
