package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Values that are not text pass through --file, stdin and get unchanged. */
class BinaryValuesTest {
    @TempDir
    Path dir;

    private FakeKeyValue node;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        node = FakeKeyValue.start();
        cli = new Cli(dir).env(EndpointOptions.ENV_ENDPOINTS, node.endpoint());
    }

    @AfterEach
    void stop() throws Exception {
        node.close();
    }

    /** Every byte value 0..255, twice, with \r\n and NUL among them. */
    static byte[] allBytes() {
        byte[] b = new byte[512];
        for (int i = 0; i < b.length; i++) b[i] = (byte) i;
        return b;
    }

    @Test
    void aFileOfEveryByteValueRoundTrips() throws Exception {
        Files.write(dir.resolve("all.bin"), allBytes());
        Cli.Result set = cli.run("set", "bin", "--file", "all.bin");
        assertEquals(0, set.exit(), set::toString);
        assertEquals(ByteString.copyFrom(allBytes()), node.value("bin"));
        Cli.Result get = cli.run("get", "bin");
        assertEquals(0, get.exit(), get::toString);
        assertArrayEquals(allBytes(), get.stdoutBytes(), "get writes the bytes as they are, nothing added");
    }

    @Test
    void stdinWithDashRoundTrips() {
        Cli.Result set = cli.stdin(allBytes()).run("set", "bin", "-f", "-");
        assertEquals(0, set.exit(), set::toString);
        assertEquals(ByteString.copyFrom(allBytes()), node.value("bin"));
        assertArrayEquals(allBytes(), cli.run("get", "bin").stdoutBytes());
    }

    @Test
    void casTakesItsValueFromAFileToo() throws Exception {
        node.put("bin", ByteString.copyFromUtf8("old"));
        Files.write(dir.resolve("new.bin"), allBytes());
        Cli.Result cas = cli.run("cas", "bin", "1", "--file", dir.resolve("new.bin").toString());
        assertEquals(0, cas.exit(), cas::toString);
        assertEquals(ByteString.copyFrom(allBytes()), node.value("bin"));
    }

    @Test
    void anEmptyFileIsAnEmptyValue() throws Exception {
        Files.write(dir.resolve("empty"), new byte[0]);
        assertEquals(0, cli.run("set", "e", "--file", "empty").exit());
        assertEquals(ByteString.EMPTY, node.value("e"));
    }

    @Test
    void jsonShowsBinaryValuesInBase64() throws Exception {
        node.put("bin", ByteString.copyFrom(allBytes()));
        JsonNode json = CommandsTest.oneObject(cli.run("get", "bin", "-o", "json"));
        assertEquals("base64", json.get("encoding").asText());
        assertArrayEquals(allBytes(), Base64.getDecoder().decode(json.get("value").asText()));
    }

    @Test
    void aFileOverTheMessageLimitIsAUsageError() throws Exception {
        Files.write(dir.resolve("big"), new byte[4096]);
        CommandsTest.assertFails(ExitCodes.USAGE, cli.run("set", "k", "--file", "big", "--max-message", "2048"), "--max-message");
        assertEquals(0, node.calls());
    }

    @Test
    void aMissingFileIsAUsageError() {
        CommandsTest.assertFails(ExitCodes.USAGE, cli.run("set", "k", "--file", "nosuchfile"), "nosuchfile: no such file");
    }
}
