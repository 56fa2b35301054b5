package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC section 4 and kv.proto "Keys": 1 to 250 bytes, no control characters, no space. */
class KeysTest {

    @Test
    void acceptsOneToTwoHundredFiftyBytesOfPrintableOrNonAsciiBytes() {
        assertNull(Keys.validate(ByteString.copyFromUtf8("a")));
        assertNull(Keys.validate(ByteString.copyFromUtf8("x".repeat(250))));
        assertNull(Keys.validate(ByteString.copyFromUtf8("ключ-☃:{}~!")));
        assertNull(Keys.validate(ByteString.copyFrom(new byte[] {(byte) 0x80, (byte) 0xFF, 0x21, 0x7E})));
    }

    @Test
    void rejectsMissingEmptyAndTooLongKeys() {
        assertEquals("key is empty", Keys.validate(null));
        assertEquals("key is empty", Keys.validate(ByteString.EMPTY));
        assertEquals("key is 251 bytes, over the limit of 250",
                Keys.validate(ByteString.copyFromUtf8("x".repeat(251))));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x7F})
    void rejectsControlCharactersAndSpaceAnywhere(int bad) {
        ByteString key = ByteString.copyFrom(new byte[] {'a', 'b', (byte) bad, 'c'});
        String reason = Keys.validate(key);
        assertNotNull(reason);
        assertTrue(reason.contains(String.format("0x%02X", bad)) && reason.contains("offset 2"), reason);
    }
}
