package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.Random;
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

    @Test
    void orderIsUnsignedBytesThenLength() {
        ByteString a = ByteString.copyFromUtf8("a");
        ByteString high = ByteString.copyFrom(new byte[] {(byte) 0x80});
        assertTrue(Keys.compare(a, high) < 0, "0x61 before 0x80: unsigned, not signed");
        assertTrue(Keys.compare(a, ByteString.copyFromUtf8("ab")) < 0, "a prefix first");
        assertTrue(Keys.compare(ByteString.copyFromUtf8("b"), ByteString.copyFromUtf8("ab")) > 0);
        assertEquals(0, Keys.compare(ByteString.copyFromUtf8("key-7"), ByteString.copyFromUtf8("xkey-7").substring(1)));
    }

    @Test
    void orderAgreesWithProtobufsUnsignedComparatorOnRandomKeys() {
        Random random = new Random(20261204L);
        for (int n = 0; n < 20_000; n++) {
            ByteString x = randomKey(random);
            // Half the pairs share a prefix, so that the comparison runs past the first byte.
            ByteString y = random.nextBoolean() ? randomKey(random) : x.substring(0, random.nextInt(x.size() + 1)).concat(randomKey(random));
            int expected = Integer.signum(ByteString.unsignedLexicographicalComparator().compare(x, y));
            assertEquals(expected, Integer.signum(Keys.compare(x, y)), () -> x + " vs " + y);
            assertEquals(-expected, Integer.signum(Keys.compare(y, x)));
        }
    }

    private static ByteString randomKey(Random random) {
        byte[] bytes = new byte[random.nextInt(6)];
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (random.nextBoolean() ? 'a' + random.nextInt(3) : random.nextInt(256));
        ByteString key = ByteString.copyFrom(bytes);
        // A slice of a larger buffer, as protobuf hands out for fields parsed from one message.
        return random.nextBoolean() ? ByteString.copyFromUtf8("..").concat(key).substring(2) : key;
    }
}
