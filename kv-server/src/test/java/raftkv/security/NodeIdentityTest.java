package raftkv.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The SAN URI that names a node: {@code raftkv://node/<Id>}, one spelling per id. */
class NodeIdentityTest {

    @Test
    void theUriOfANode() {
        assertEquals("raftkv://node/7", NodeIdentity.uri(7));
        assertEquals(OptionalLong.of(7), NodeIdentity.parse(NodeIdentity.uri(7)));
        assertEquals(OptionalLong.of(0), NodeIdentity.parse("raftkv://node/0"));
        assertEquals(OptionalLong.of(Integer.MAX_VALUE), NodeIdentity.parse("raftkv://node/2147483647"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"raftkv://node/", "raftkv://node/01", "raftkv://node/+1", "raftkv://node/1/x",
        "raftkv://node/-1", "raftkv://node/2147483648", "raftkv://node/99999999999", "raftkv://Node/1",
        "https://node/1", "raftkv://node/1 ", "raftkv://node/1?x"})
    void anythingElseNamesNoNode(String uri) {
        assertEquals(OptionalLong.empty(), NodeIdentity.parse(uri));
    }
}
