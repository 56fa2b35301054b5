package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.kv.Command;
import raftkv.kv.CommandCodec;
import raftkv.kv.CorruptSnapshotException;
import raftkv.kv.KvLimits;
import raftkv.kv.KvStateMachine;
import raftkv.kv.RequestId;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;
import raftkv.wal.MemoryStorage;
import raftkv.wal.SnapshotFiles;

/** When a node snapshots, what it compacts after, how it installs a leader's snapshot, and where it starts from. */
class SnapshotKeeperTest {
    private static final long SEGMENT = 64 << 20;

    @TempDir
    Path tmp;

    /** A machine that applied sets of k0..k(n-1) at indexes 1..n, all in term 1. */
    private static KvStateMachine machine(int n) {
        KvStateMachine m = new KvStateMachine();
        for (int i = 1; i <= n; i++) {
            Command set = new Command.Set(ByteString.copyFromUtf8("k" + (i - 1)), ByteString.copyFromUtf8("v" + i), 0,
                    RequestId.NONE);
            m.apply(Entry.normal(i, 1, CommandCodec.encode(set, 1_000L + i)));
        }
        return m;
    }

    private static List<Entry> noops(long from, long to) {
        return java.util.stream.LongStream.rangeClosed(from, to).mapToObj(i -> Entry.noop(i, 1)).toList();
    }

    private SnapshotKeeper.Written write(SnapshotKeeper keeper, KvStateMachine m) throws Exception {
        CompletableFuture<SnapshotKeeper.Written> done = new CompletableFuture<>();
        keeper.write(m.snapshotView(), done::complete);
        return done.get(30, TimeUnit.SECONDS);
    }

    @Test
    void theLogKeptBelowASnapshotIsBoundedByBytesAsWellAsEntries() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        storage.append(noops(1, 30));
        storage.sync();
        long threeEntries = 3 * (1000 + SnapshotKeeper.ENTRY_FRAMING_BYTES);
        try (SnapshotKeeper keeper = new SnapshotKeeper(1, SnapshotFiles.open(tmp, false), storage, 10, SEGMENT,
                SnapshotMeta.NONE, KvLimits.DEFAULTS, threeEntries, null)) {
            CompletableFuture<SnapshotKeeper.Written> done = new CompletableFuture<>();
            keeper.write(machine(12).snapshotView(), done::complete);
            // Entries of 1000 bytes: three fit in the bound, though ten would by count.
            assertEquals(Optional.of(9L), keeper.written(done.get(30, TimeUnit.SECONDS), 0, i -> 1000));
        }
        try (SnapshotKeeper keeper = new SnapshotKeeper(1, SnapshotFiles.open(tmp.resolve("b"), false), storage, 10,
                SEGMENT, SnapshotMeta.NONE, KvLimits.DEFAULTS, threeEntries, null)) {
            CompletableFuture<SnapshotKeeper.Written> done = new CompletableFuture<>();
            keeper.write(machine(12).snapshotView(), done::complete);
            // One entry over the bound: nothing below the snapshot is kept.
            assertEquals(Optional.of(12L), keeper.written(done.get(30, TimeUnit.SECONDS), 0, i -> 4 * threeEntries));
        }
    }

    @Test
    void aSnapshotIsDueEverySnapshotEntriesAppliedAndOneAtATime() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        storage.append(noops(1, 30));
        storage.sync();
        try (SnapshotKeeper keeper = new SnapshotKeeper(1, SnapshotFiles.open(tmp, false), storage, 10, SEGMENT, SnapshotMeta.NONE)) {
            assertFalse(keeper.due(9));
            assertTrue(keeper.due(10));
            KvStateMachine m = machine(12);
            CompletableFuture<SnapshotKeeper.Written> done = new CompletableFuture<>();
            keeper.write(m.snapshotView(), done::complete);
            assertFalse(keeper.due(40), "a second snapshot while one is being written");
            SnapshotKeeper.Written w = done.get(30, TimeUnit.SECONDS);
            assertNull(w.failure());
            assertEquals(new SnapshotMeta(12, 1), w.meta());

            // The core keeps min(5000, snapshotEntries) entries below the snapshot for slow followers.
            assertEquals(Optional.of(2L), keeper.written(w, 0, i -> 0));
            assertFalse(keeper.due(21));
            assertTrue(keeper.due(22));
        }
    }

    // Large values on a small keyspace: the entry count alone would let the log grow far past the live data.
    @Test
    void aSnapshotIsAlsoDueOnceTheLogHoldsAQuarterOfTheLiveDataOrAnEighthOfASegment() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        storage.append(noops(1, 12));
        storage.sync();
        long segment = 8192;
        try (SnapshotKeeper keeper = new SnapshotKeeper(1, SnapshotFiles.open(tmp, false), storage, 1_000_000, segment,
                SnapshotMeta.NONE)) {
            assertEquals(1024, keeper.byteTrigger(), "no snapshot yet: an eighth of a segment");
            Entry big = Entry.normal(1, 1, ByteString.copyFrom(new byte[900]));
            keeper.applied(big);
            assertFalse(keeper.due(1));
            keeper.applied(big);
            assertTrue(keeper.due(2), "2 x (900 + framing) bytes >= 1024");

            SnapshotKeeper.Written w = write(keeper, machine(12));
            assertFalse(keeper.due(12), "the count starts again when a snapshot begins");
            keeper.written(w, 0, i -> 0);
            assertTrue(w.bytes() > 0);
            assertEquals(Math.max(w.bytes() / 4, segment / 8), keeper.byteTrigger());
        }
    }

    @Test
    void theNewestSnapshotThatPassesItsChecksIsWhereANodeStarts() throws Exception {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        files.write(new SnapshotMeta(5, 1), machine(5)::writeSnapshot);
        SnapshotFiles.Stored newest = files.write(new SnapshotMeta(8, 1), machine(8)::writeSnapshot);

        SnapshotKeeper.Loaded loaded = SnapshotKeeper.loadNewest(1, files);
        assertEquals(new SnapshotMeta(8, 1), loaded.meta());
        assertEquals(8, loaded.machine().size());

        byte[] bytes = Files.readAllBytes(newest.file());
        bytes[bytes.length / 2] ^= 1;
        Files.write(newest.file(), bytes);
        loaded = SnapshotKeeper.loadNewest(1, files);
        assertEquals(new SnapshotMeta(5, 1), loaded.meta(), "a damaged newest snapshot is skipped");
        assertEquals(5, loaded.machine().size());

        Files.delete(files.list().get(1).file());
        loaded = SnapshotKeeper.loadNewest(1, files);
        assertEquals(SnapshotMeta.NONE, loaded.meta(), "nothing usable: start empty (the log then decides)");
        assertEquals(0, loaded.machine().size());
    }

    @Test
    void aSnapshotFileMustHoldTheStateItsNameSays() throws Exception {
        Path file = tmp.resolve("s");
        try (var out = Files.newOutputStream(file)) {
            machine(4).writeSnapshot(out);
        }
        assertEquals(4, SnapshotKeeper.read(file, new SnapshotMeta(4, 1)).appliedIndex());
        assertThrows(CorruptSnapshotException.class, () -> SnapshotKeeper.read(file, new SnapshotMeta(4, 2)));
        assertThrows(CorruptSnapshotException.class, () -> SnapshotKeeper.read(file, new SnapshotMeta(5, 1)));
        Files.write(file, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        assertThrows(CorruptSnapshotException.class, () -> SnapshotKeeper.read(file, new SnapshotMeta(4, 1)),
                "bytes after the end record");
    }

    @Test
    void installingALeadersSnapshotMakesItDurableFirstAndRestartsTheLogAfterIt() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        storage.append(noops(1, 3));
        storage.sync();
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        files.write(new SnapshotMeta(2, 1), machine(2)::writeSnapshot);
        try (SnapshotKeeper keeper = new SnapshotKeeper(1, files, storage, 100, SEGMENT, new SnapshotMeta(2, 1))) {
            Path received = keeper.newIncomingFile();
            try (var out = Files.newOutputStream(received)) {
                machine(50).writeSnapshot(out);
            }
            SnapshotMeta at50 = new SnapshotMeta(50, 1);
            storage.saveHardState(new HardState(3, 2)); // the leader's term, written but not yet synced

            keeper.install(at50, new SnapshotKeeper.Received(received, SnapshotKeeper.read(received, at50)));

            assertEquals(List.of(at50), files.list().stream().map(SnapshotFiles.Stored::meta).toList(),
                    "the received file is the snapshot now, and the older one is gone");
            MemoryStorage restarted = storage.restart(at50);
            assertEquals(new HardState(3, 2), restarted.recovered().hardState(), "the term came before the snapshot");
            assertEquals(at50, restarted.recovered().snapshot());
            assertEquals(List.of(), restarted.recovered().entries());
            assertFalse(keeper.due(149));
            assertTrue(keeper.due(150));
        }
    }

    @Test
    void aFailedWriteIsReportedAndTriedAgainOnlyAfterAnotherSnapshotEntries() throws Exception {
        Path notADirectory = Files.writeString(tmp.resolve("file"), "x");
        SnapshotFiles files = SnapshotFiles.open(tmp.resolve("snapshots"), false);
        MemoryStorage storage = new MemoryStorage();
        try (SnapshotKeeper keeper = new SnapshotKeeper(1, files, storage, 10, SEGMENT, SnapshotMeta.NONE)) {
            Files.delete(tmp.resolve("snapshots"));
            Files.createSymbolicLink(tmp.resolve("snapshots"), notADirectory);
            SnapshotKeeper.Written w = write(keeper, machine(10));
            assertTrue(w.failure() instanceof IOException, String.valueOf(w.failure()));
            assertEquals(Optional.empty(), keeper.written(w, 0, i -> 0));
            assertFalse(keeper.due(19));
            assertTrue(keeper.due(20));
        }
    }
}
