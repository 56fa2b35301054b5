package raftkv.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The one home of the contract's key, ttl and request-id rules (kv.proto, SPEC 4). */
class KvRulesTest {
    private static ByteString key(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }

    @Test
    void keysAreOneTo250BytesWithoutControlCharactersOrSpaces() {
        assertNull(KvRules.keyProblem(key("k")));
        assertNull(KvRules.keyProblem(key("x".repeat(250))));
        assertNull(KvRules.keyProblem(key("clé-ünïcode")), "UTF-8 is allowed");
        assertEquals("key is empty", KvRules.keyProblem(ByteString.EMPTY));
        assertEquals("key is empty", KvRules.keyProblem((ByteString) null));
        assertEquals("key is 251 bytes, over the limit of 250", KvRules.keyProblem(key("x".repeat(251))));
        assertTrue(KvRules.keyProblem(key("a b")).startsWith("key holds byte 0x20 at offset 1"));
        assertTrue(KvRules.keyProblem(key("ab\u007f")).startsWith("key holds byte 0x7F at offset 2"));
        assertTrue(KvRules.keyProblem(key("\n")).startsWith("key holds byte 0x0A at offset 0"));
    }

    @Test
    void theByteRangeFormAgreesWithTheByteStringForm() {
        byte[] line = "get  abc\u0001 x".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(KvRules.keyProblem(key("abc")), KvRules.keyProblem(line, 5, 8));
        assertEquals("key is empty", KvRules.keyProblem(line, 4, 4));
        assertTrue(KvRules.keyProblem(line, 5, 9).startsWith("key holds byte 0x01 at offset 3"));
    }

    @Test
    void ttlIsZeroTo2To32MinusOne() {
        assertNull(KvRules.ttlProblem(0));
        assertNull(KvRules.ttlProblem(4_294_967_295L));
        assertEquals("ttl must be 0 (never expires) to 4294967295 seconds, got 4294967296", KvRules.ttlProblem(4_294_967_296L));
        assertEquals("ttl must be 0 (never expires) to 4294967295 seconds, got -1", KvRules.ttlProblem(-1));
    }

    @Test
    void aRequestIdHasNonZeroClientIdAndSequence() {
        assertNull(KvRules.requestIdProblem(7, 1));
        assertNull(KvRules.requestIdProblem(-1, -1), "uint64 ids above 2^63 are fine");
        assertTrue(KvRules.requestIdProblem(0, 1).contains("both must be non-zero"));
        assertTrue(KvRules.requestIdProblem(7, 0).contains("both must be non-zero"));
    }
}
