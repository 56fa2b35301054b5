package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every key-value command's output and exit code, in text and in JSON, against a fake node. */
class CommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

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

    private static void assertOk(Cli.Result r) {
        assertEquals(0, r.exit(), r::toString);
        assertEquals("", r.stderr(), r::toString);
    }

    /** A failure: the exit code, nothing on stdout, one line on stderr that starts with "kvctl: ". */
    static void assertFails(int exit, Cli.Result r, String fragment) {
        assertEquals(exit, r.exit(), r::toString);
        assertEquals("", r.stdout(), r::toString);
        assertEquals(1, r.stderrLines().size(), r::toString);
        assertTrue(r.stderr().startsWith("kvctl: "), r::toString);
        assertTrue(r.stderr().contains(fragment), () -> "expected \"" + fragment + "\" in " + r);
    }

    @Test
    void setPrintsOkAndTheVersion() {
        Cli.Result r = cli.run("set", "greeting", "hello");
        assertOk(r);
        assertEquals("OK 1\n", r.stdout());
        assertEquals(ByteString.copyFromUtf8("hello"), node.value("greeting"));
    }

    @Test
    void setWithTtlIsShownByGetm() {
        assertOk(cli.run("set", "session", "x", "--ttl", "300"));
        Cli.Result r = cli.run("getm", "session");
        assertOk(r);
        assertEquals("version 1\nttl     300\nsize    1\n", r.stdout());
    }

    @Test
    void getPrintsTheValueBytesWithoutANewlineWhenNotATerminal() {
        node.put("k", ByteString.copyFromUtf8("hello"));
        Cli.Result r = cli.run("get", "k");
        assertOk(r);
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), r.stdoutBytes());
    }

    @Test
    void getOnATerminalEndsTheValueWithANewline() {
        node.put("k", ByteString.copyFromUtf8("hello"));
        assertEquals("hello\n", cli.interactive(true).run("get", "k").stdout());
        node.put("nl", ByteString.copyFromUtf8("line\n"));
        assertEquals("line\n", cli.interactive(true).run("get", "nl").stdout(), "a value that ends a line gets no second newline");
    }

    @Test
    void getOfAnEmptyValuePrintsNothing() {
        node.put("empty", ByteString.EMPTY);
        Cli.Result r = cli.run("get", "empty");
        assertOk(r);
        assertEquals(0, r.stdoutBytes().length);
    }

    @Test
    void getOfAMissingKeyExits1() {
        assertFails(ExitCodes.NOT_FOUND, cli.run("get", "nothere"), "get nothere: key not found");
        assertFails(ExitCodes.NOT_FOUND, cli.run("getm", "nothere"), "key not found");
        assertFails(ExitCodes.NOT_FOUND, cli.run("delete", "nothere"), "key not found");
        assertFails(ExitCodes.NOT_FOUND, cli.run("cas", "nothere", "1", "v"), "key not found");
    }

    @Test
    void casWithTheCurrentVersionReplacesTheValue() {
        assertEquals("OK 1\n", cli.run("set", "k", "a").stdout());
        Cli.Result r = cli.run("cas", "k", "1", "b");
        assertOk(r);
        assertEquals("OK 2\n", r.stdout());
        assertEquals(ByteString.copyFromUtf8("b"), node.value("k"));
    }

    @Test
    void casWithAStaleVersionExits3AndWritesNothing() {
        cli.run("set", "k", "a");
        cli.run("set", "k", "b");
        assertFails(ExitCodes.VERSION_MISMATCH, cli.run("cas", "k", "1", "c"), "version mismatch");
        assertEquals(ByteString.copyFromUtf8("b"), node.value("k"));
    }

    @Test
    void deletePrintsDeleted() {
        node.put("k", ByteString.copyFromUtf8("v"));
        Cli.Result r = cli.run("delete", "k");
        assertOk(r);
        assertEquals("DELETED\n", r.stdout());
        assertEquals(null, node.value("k"));
    }

    @Test
    void jsonOutputIsOneObjectPerCommand() throws Exception {
        JsonNode set = oneObject(cli.run("set", "k", "héllo", "--ttl", "60", "-o", "json"));
        assertEquals("k", set.get("key").asText());
        assertEquals(1, set.get("version").asLong());
        assertEquals(60, set.get("ttl").asLong());
        assertEquals(6, set.get("size").asLong());

        JsonNode get = oneObject(cli.run("get", "k", "--output", "json"));
        assertEquals("utf-8", get.get("encoding").asText());
        assertEquals("héllo", get.get("value").asText());
        assertEquals(1, get.get("version").asLong());

        JsonNode getm = oneObject(cli.run("getm", "k", "--output=JSON"));
        assertEquals(1, getm.get("version").asLong());
        assertEquals(60, getm.get("ttl").asLong());
        assertEquals(6, getm.get("size").asLong());

        JsonNode cas = oneObject(cli.run("cas", "k", "1", "x", "-o", "json"));
        assertEquals(2, cas.get("version").asLong());
        assertEquals(1, cas.get("previous_version").asLong());

        JsonNode delete = oneObject(cli.run("delete", "k", "-o", "json"));
        assertTrue(delete.get("deleted").asBoolean());
    }

    @Test
    void jsonOutputOfAFailureIsEmptyWithTheErrorOnStderr() {
        assertFails(ExitCodes.NOT_FOUND, cli.run("get", "nothere", "-o", "json"), "key not found");
    }

    static JsonNode oneObject(Cli.Result r) throws Exception {
        assertOk(r);
        assertEquals(1, r.stdout().lines().count(), r::toString);
        JsonNode node = JSON.readTree(r.stdout());
        assertTrue(node.isObject(), r::toString);
        return node;
    }

    @Test
    void helpAndVersionWorkOnEveryCommand() {
        for (String command : new String[] {"set", "get", "getm", "cas", "delete", "status", "bench", "move-leader"}) {
            Cli.Result help = cli.run(command, "--help");
            assertOk(help);
            assertTrue(help.stdout().startsWith("Usage: kvctl " + command), help::toString);
            assertTrue(help.stdout().contains("--endpoints"), help::toString);
            Cli.Result version = cli.run(command, "--version");
            assertOk(version);
            assertTrue(version.stdout().startsWith("kvctl "), version::toString);
        }
        Cli.Result top = cli.run("--help");
        assertOk(top);
        assertTrue(top.stdout().contains("Exit codes: 0 success; 1 key not found; 2 usage error; 3 version mismatch"), top::toString);
        assertOk(cli.run("--version"));
        assertOk(cli.run("help", "cas"));
    }

    @Test
    void versionComesFromTheBuild() {
        String version = cli.run("--version").stdout();
        assertTrue(version.matches("kvctl \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(commit ([0-9a-f]{7,40}|unknown); raftkv; Java .*\\)\\n"), version);
    }
}
