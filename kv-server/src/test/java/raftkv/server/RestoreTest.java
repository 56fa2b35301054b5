package raftkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ClusterConfig;
import raftkv.config.ConfigLoader;
import raftkv.kv.Command;
import raftkv.kv.CommandCodec;
import raftkv.kv.KvStateMachine;
import raftkv.kv.RequestId;
import raftkv.node.SnapshotKeeper;
import raftkv.raft.Entry;
import raftkv.raft.Membership;
import raftkv.raft.SnapshotMeta;
import raftkv.wal.RaftStorage;
import raftkv.wal.SnapshotFiles;
import raftkv.wal.Wal;

/** kv-server restore: the folder it builds, and the files and folders it refuses, each with one line. */
class RestoreTest {
    private static final long NOW = 1_700_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void buildsAFolderANodeStartsFromAtTheSnapshot() throws Exception {
        KvStateMachine machine = machine();
        Path file = write(machine);
        ClusterConfig config = config();

        Restore.Done done = Restore.run(config, 1, file);

        assertEquals(new SnapshotMeta(12, 3), done.snapshot());
        assertEquals(config.nodeDir(1).toAbsolutePath().normalize(), done.dir());
        SnapshotFiles files = SnapshotFiles.open(done.dir().resolve("snapshots"), false);
        SnapshotKeeper.Loaded loaded = SnapshotKeeper.loadNewest(1, files);
        assertEquals(new SnapshotMeta(12, 3), loaded.meta());
        assertEquals(machine.size(), loaded.machine().size());
        assertNull(loaded.machine().membership(), "the new cluster's members are its config's servers");
        assertEquals(Membership.ofVoters(List.of(7L, 8L, 9L)), machine.membership());
        machine.forgetMembership();
        assertArrayEquals(bytes(machine), bytes(loaded.machine()), "the same state but the membership, byte for byte");
        try (Wal wal = Wal.open(done.dir().resolve("wal"), false, config.walSegmentBytes(), loaded.meta())) {
            RaftStorage.Recovered r = wal.recovered();
            assertEquals(3, r.hardState().term(), "the snapshot's term");
            assertEquals(loaded.meta(), r.snapshot());
            assertTrue(r.entries().isEmpty(), "the log restarts after the snapshot");
        }
        try (Stream<Path> left = Files.list(dir.resolve("data"))) {
            assertFalse(left.anyMatch(p -> p.getFileName().toString().contains(".restoring-")), "no staging folder is left");
        }
    }

    @Test
    void anEmptyFolderIsTakenAndANonEmptyOneRefusedWithOneLine() throws Exception {
        Path file = write(machine());
        ClusterConfig config = config();
        Files.createDirectories(config.nodeDir(0));
        Restore.run(config, 0, file); // an empty folder gives way

        Restore.Failed refused = assertThrows(Restore.Failed.class, () -> Restore.run(config, 0, file));
        assertEquals(ServerMain.EXIT_USAGE, refused.exitCode);
        assertTrue(refused.getMessage().contains("is not empty"), refused.getMessage());

        Files.createDirectories(config.nodeDir(2));
        Files.writeString(config.nodeDir(2).resolve("stray"), "x");
        assertEquals(ServerMain.EXIT_USAGE, assertThrows(Restore.Failed.class, () -> Restore.run(config, 2, file)).exitCode);
        assertEquals("x", Files.readString(config.nodeDir(2).resolve("stray")), "nothing of it is touched");
    }

    @Test
    void aDamagedOrTruncatedFileIsRefusedAndNothingIsBuilt() throws Exception {
        byte[] good = bytes(machine());
        ClusterConfig config = config();

        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x01;
        Path bad = Files.write(dir.resolve("flipped.snap"), flipped);
        Restore.Failed f = assertThrows(Restore.Failed.class, () -> Restore.run(config, 0, bad));
        assertEquals(ServerMain.EXIT_USAGE, f.exitCode);
        assertTrue(f.getMessage().startsWith("cannot restore from " + bad + ": corrupt snapshot"), f.getMessage());

        Path truncated = Files.write(dir.resolve("short.snap"), Arrays.copyOf(good, good.length - 3));
        Restore.Failed t = assertThrows(Restore.Failed.class, () -> Restore.run(config, 0, truncated));
        assertTrue(t.getMessage().contains("corrupt snapshot"), t.getMessage());

        Path longer = Files.write(dir.resolve("long.snap"), Arrays.copyOf(good, good.length + 1));
        assertTrue(assertThrows(Restore.Failed.class, () -> Restore.run(config, 0, longer)).getMessage()
                .contains("bytes after its end record"));

        Path missing = dir.resolve("missing.snap");
        assertEquals(ServerMain.EXIT_USAGE, assertThrows(Restore.Failed.class, () -> Restore.run(config, 0, missing)).exitCode);
        assertFalse(Files.exists(config.nodeDir(0)), "no folder for a refused restore");
    }

    @Test
    void theCommandLinePrintsOneLineAndExits() throws Exception {
        Path file = write(machine());
        Path configFile = writeConfig();
        String[] args = {"restore", "--snapshot", file.toString(), "--config", configFile.toString(), "--id", "0"};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        ServerOptions options = ServerMain.parse(args);
        assertEquals(0, ServerMain.restore(options.restore, new PrintStream(out), new PrintStream(err)));
        assertTrue(out.toString().startsWith("node 0: restored the snapshot at entry 12 (term 3, 2 keys) into "), out.toString());

        out.reset();
        assertEquals(2, ServerMain.restore(ServerMain.parse(args).restore, new PrintStream(out), new PrintStream(err)));
        String line = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, line.strip().lines().count(), line);
        assertTrue(line.startsWith("kv-server restore: data folder "), line);

        ServerMain.StartupException noSnapshot = assertThrows(ServerMain.StartupException.class,
                () -> ServerMain.parse(new String[] {"restore", "--id", "0"}));
        assertEquals(2, noSnapshot.exitCode);
        assertTrue(noSnapshot.getMessage().contains("--snapshot"), noSnapshot.getMessage());
        ServerMain.StartupException noId = assertThrows(ServerMain.StartupException.class,
                () -> ServerMain.parse(new String[] {"--config", configFile.toString()}));
        assertTrue(noId.getMessage().startsWith("Missing required option: '--id=N'"), noId.getMessage());
    }

    /** Two keys (one with a ttl, one written twice), a deleted one, applied up to entry 12 of term 3. */
    private static KvStateMachine machine() {
        KvStateMachine m = new KvStateMachine();
        long index = 0;
        for (int i = 0; i < 7; i++) m.apply(Entry.noop(++index, 1));
        // The old cluster changed its membership once: a restore must not carry it into the new one.
        m.apply(Entry.config(++index, 1, Membership.ofVoters(List.of(7L, 8L, 9L))));
        m.apply(set(++index, "a", "1", 0));
        m.apply(set(++index, "b", "2", 600));
        m.apply(set(++index, "a", "11", 0));
        m.apply(Entry.normal(++index, 3, CommandCodec.encode(new Command.Delete(ByteString.copyFromUtf8("c"), RequestId.NONE), NOW)));
        return m;
    }

    private static Entry set(long index, String key, String value, long ttl) {
        return Entry.normal(index, 3, CommandCodec.encode(new Command.Set(ByteString.copyFromUtf8(key),
                ByteString.copyFromUtf8(value), ttl, RequestId.NONE), NOW));
    }

    private static byte[] bytes(KvStateMachine m) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeSnapshot(out);
        return out.toByteArray();
    }

    private Path write(KvStateMachine m) throws IOException {
        return Files.write(dir.resolve("backup.snap"), bytes(m));
    }

    private Path writeConfig() throws IOException {
        return Files.writeString(dir.resolve("config.json"), "{\"path\": \"data\", \"fsync\": false, \"servers\": ["
                + "{\"Id\": 0, \"Hostname\": \"127.0.0.1\", \"ClientPort\": 18000, \"LogPort\": 19000},"
                + "{\"Id\": 1, \"Hostname\": \"127.0.0.1\", \"ClientPort\": 18001, \"LogPort\": 19001},"
                + "{\"Id\": 2, \"Hostname\": \"127.0.0.1\", \"ClientPort\": 18002, \"LogPort\": 19002}]}");
    }

    private ClusterConfig config() throws IOException {
        return ConfigLoader.load(writeConfig());
    }

    private static void assertArrayEquals(byte[] a, byte[] b, String message) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, message);
    }
}
