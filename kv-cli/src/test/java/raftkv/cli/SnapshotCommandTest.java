package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.kv.Command;
import raftkv.kv.CommandCodec;
import raftkv.kv.KvStateMachine;
import raftkv.kv.RequestId;
import raftkv.raft.Entry;

/** kvctl snapshot save and status against a fake node: checks before writing, atomic file, exit codes. */
class SnapshotCommandTest {
    @TempDir
    Path dir;

    private FakeKeyValue node;
    private Cli cli;
    private byte[] good;

    @BeforeEach
    void start() throws IOException {
        node = FakeKeyValue.start();
        cli = new Cli(dir).env(EndpointOptions.ENV_ENDPOINTS, node.endpoint());
        good = snapshotOfKeys(300);
    }

    @AfterEach
    void stop() throws Exception {
        node.close();
    }

    @Test
    void saveWritesTheCheckedSnapshotAndStatusDescribesIt() throws Exception {
        node.snapshot(good);
        Cli.Result saved = cli.run("snapshot", "save", "backup.snap");
        assertEquals(0, saved.exit(), saved::toString);
        assertEquals("saved snapshot at index 301 (term 2): 300 keys, " + good.length + " bytes, to backup.snap\n", saved.stdout());
        assertArrayEquals(good, Files.readAllBytes(dir.resolve("backup.snap")));
        assertEquals(1, fileCount(), "no temporary file is left");

        Cli.Result status = cli.run("snapshot", "status", "backup.snap");
        assertEquals(0, status.exit(), status::toString);
        assertEquals("index     301\nterm      2\nkeys      300\nsessions  0\nsize      " + good.length + "\nchecksum  ok\n",
                status.stdout());
        JsonNode json = CommandsTest.oneObject(cli.run("snapshot", "status", "backup.snap", "-o", "json"));
        assertTrue(json.get("checksum_ok").asBoolean());
        assertEquals(300, json.get("keys").asLong());
        assertTrue(json.get("problem").isNull());
    }

    @Test
    void aDamagedSnapshotFromTheNodeIsNotWrittenAndTheOldFileStays() throws Exception {
        Files.writeString(dir.resolve("backup.snap"), "yesterday's");
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x01;
        node.snapshot(bad);
        Cli.Result r = cli.run("snapshot", "save", "backup.snap");
        assertEquals(ExitCodes.INTERNAL, r.exit(), r::toString);
        assertEquals(1, r.stderrLines().size(), r::toString);
        assertTrue(r.stderr().startsWith("kvctl: snapshot save: the snapshot received is damaged, backup.snap not written"), r.stderr());
        assertEquals("yesterday's", Files.readString(dir.resolve("backup.snap")));
        assertEquals(1, fileCount(), "no temporary file is left");
    }

    @Test
    void statusOfADamagedOrTruncatedFileExitsWithTwoAndSaysWhy() throws Exception {
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x01;
        Files.write(dir.resolve("bad.snap"), bad);
        Cli.Result r = cli.run("snapshot", "status", "bad.snap");
        assertEquals(ExitCodes.USAGE, r.exit(), r::toString);
        assertTrue(r.stdout().contains("checksum  BAD: "), r::toString);
        assertEquals(1, r.stderrLines().size(), r::toString);

        Files.write(dir.resolve("short.snap"), Arrays.copyOf(good, good.length - 100));
        Cli.Result t = cli.run("snapshot", "status", "short.snap", "-o", "json");
        assertEquals(ExitCodes.USAGE, t.exit(), t::toString);
        JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(t.stdout());
        assertFalse(json.get("checksum_ok").asBoolean());
        assertTrue(json.get("problem").asText().contains("truncated"), t::toString);

        Cli.Result missing = cli.run("snapshot", "status", "nothere.snap");
        assertEquals(ExitCodes.USAGE, missing.exit());
        assertEquals("kvctl: no such file: nothere.snap", missing.stderr().strip());
    }

    private long fileCount() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }

    /** The server's own snapshot of a store of {@code keys} keys, at entry keys + 1 of term 2. */
    private static byte[] snapshotOfKeys(int keys) throws IOException {
        KvStateMachine m = new KvStateMachine();
        m.apply(Entry.noop(1, 2));
        for (int i = 0; i < keys; i++) {
            m.apply(Entry.normal(i + 2, 2, CommandCodec.encode(new Command.Set(ByteString.copyFromUtf8("key-" + i),
                    ByteString.copyFromUtf8("value-" + i), 0, RequestId.NONE), 1_000)));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeSnapshot(out);
        return out.toByteArray();
    }
}
