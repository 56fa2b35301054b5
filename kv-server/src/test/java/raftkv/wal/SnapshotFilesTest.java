package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.raft.SnapshotMeta;

class SnapshotFilesTest {
    @TempDir
    Path tmp;

    private static SnapshotMeta meta(long index, long term) {
        return new SnapshotMeta(index, term);
    }

    private static byte[] content(SnapshotMeta meta, int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) b[i] = (byte) (i * 7 + meta.index() * 31 + meta.term());
        return b;
    }

    private static SnapshotFiles.Stored write(SnapshotFiles files, SnapshotMeta meta, byte[] bytes) throws IOException {
        return files.write(meta, out -> out.write(bytes));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<SnapshotMeta> metas(List<SnapshotFiles.Stored> stored) {
        return stored.stream().map(SnapshotFiles.Stored::meta).toList();
    }

    @Test
    void writtenSnapshotsAreListedNewestFirstAndReadBack() throws IOException {
        Path dir = tmp.resolve("a/b/snapshots");
        SnapshotFiles files = SnapshotFiles.open(dir, false);
        assertEquals(List.of(), files.list());
        assertEquals(Optional.empty(), files.newest());

        SnapshotFiles.Stored s5 = write(files, meta(5, 1), content(meta(5, 1), 100));
        write(files, meta(20, 3), content(meta(20, 3), 0));
        write(files, meta(9, 2), content(meta(9, 2), 70_000));
        assertEquals(List.of(meta(20, 3), meta(9, 2), meta(5, 1)), metas(files.list()));
        assertEquals(meta(20, 3), files.newest().orElseThrow().meta());

        assertEquals(new SnapshotFiles.Stored(meta(5, 1), dir.resolve("snapshot-00000000000000000005-00000000000000000001.snap"), 100), s5);
        assertArrayEquals(content(meta(5, 1), 100), Files.readAllBytes(s5.file()));
        for (SnapshotFiles.Stored s : files.list()) {
            assertArrayEquals(content(s.meta(), (int) s.bytes()), Files.readAllBytes(s.file()));
            assertEquals(Files.size(s.file()), s.bytes());
        }
        // A fresh instance finds the same by name alone.
        SnapshotFiles reopened = SnapshotFiles.open(dir, true);
        assertEquals(files.list(), reopened.list());
        assertEquals(files.newest(), reopened.newest());
    }

    @Test
    void anOlderSnapshotWrittenLaterIsNotTheNewest() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        write(files, meta(10, 2), new byte[] {1});
        write(files, meta(4, 1), new byte[] {2});
        assertEquals(meta(10, 2), files.newest().orElseThrow().meta());
    }

    @Test
    void aWriterThatFailsLeavesNoFileBehind() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        SnapshotFiles.Stored kept = write(files, meta(3, 1), new byte[] {1, 2, 3});
        IOException io = assertThrows(IOException.class, () -> files.write(meta(8, 2), out -> {
            out.write(new byte[200_000]); // past the buffer: bytes reached the temporary file
            throw new IOException("disk full");
        }));
        assertEquals("disk full", io.getMessage());
        assertThrows(IllegalStateException.class, () -> files.write(meta(9, 2), out -> {
            out.write(1);
            throw new IllegalStateException("state machine broke");
        }));
        assertThrows(OutOfMemoryError.class, () -> files.write(meta(10, 2), out -> {
            throw new OutOfMemoryError("simulated");
        }));
        assertEquals(List.of(kept.file().getFileName().toString()), names(tmp));
        assertEquals(Optional.of(kept), files.newest());
        assertEquals(List.of(kept), files.list());
    }

    @Test
    void theWriterStreamsToTheFileAndMayCloseTheStream() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        int chunk = 1 << 20;
        long[] seenOnDisk = new long[1];
        SnapshotFiles.Stored s = files.write(meta(7, 1), out -> {
            byte[] b = new byte[chunk];
            for (int i = 0; i < 4; i++) {
                Arrays.fill(b, (byte) i);
                out.write(b);
            }
            // Not held in memory: all but at most one buffer is already in the temporary file.
            try (Stream<Path> list = Files.list(tmp)) {
                Path temporary = list.filter(p -> p.toString().endsWith(".tmp")).findFirst().orElseThrow();
                seenOnDisk[0] = Files.size(temporary);
            }
            out.close();
        });
        assertTrue(seenOnDisk[0] >= 4L * chunk - 64 * 1024, "only " + seenOnDisk[0] + " bytes reached the file while writing");
        assertEquals(4L * chunk, s.bytes());
        byte[] back = Files.readAllBytes(s.file());
        for (int i = 0; i < 4; i++) assertEquals((byte) i, back[i * chunk + chunk - 1]);
        assertEquals(List.of(s.file().getFileName().toString()), names(tmp));
    }

    @Test
    void writingTheSameSnapshotAgainReplacesIt() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        write(files, meta(6, 2), new byte[] {1});
        SnapshotFiles.Stored again = write(files, meta(6, 2), new byte[] {2, 2});
        assertEquals(List.of(again), files.list());
        assertArrayEquals(new byte[] {2, 2}, Files.readAllBytes(again.file()));
    }

    @Test
    void noneIsNotASnapshot() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        assertThrows(IllegalArgumentException.class, () -> write(files, SnapshotMeta.NONE, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> files.deleteOlderThan(SnapshotMeta.NONE));
        assertEquals(List.of(), names(tmp));
    }

    @Test
    void openDeletesWhatACrashLeftAndIgnoresForeignFiles() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        SnapshotFiles.Stored complete = write(files, meta(12, 2), new byte[] {4});
        Path half = Files.write(tmp.resolve("snapshot-00000000000000000013-00000000000000000002-123.tmp"), new byte[10]);
        Path incoming = files.newIncomingFile();
        Files.write(incoming, new byte[5]);
        Files.writeString(tmp.resolve("notes.txt"), "kept");
        Files.writeString(tmp.resolve("snapshot-12-2.snap"), "not ours");
        Files.createDirectory(tmp.resolve("snapshot-00000000000000000099-00000000000000000009.snap"));

        SnapshotFiles reopened = SnapshotFiles.open(tmp, true);
        assertFalse(Files.exists(half));
        assertFalse(Files.exists(incoming));
        assertEquals(List.of("notes.txt", complete.file().getFileName().toString(),
                "snapshot-00000000000000000099-00000000000000000009.snap", "snapshot-12-2.snap"), names(tmp));
        assertEquals(List.of(complete), reopened.list());
        assertEquals(Optional.of(complete), reopened.newest());
    }

    @Test
    void aReceivedFileIsAdoptedAsASnapshot() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, true);
        write(files, meta(5, 1), new byte[] {1});
        Path incoming = files.newIncomingFile();
        assertEquals(tmp, incoming.getParent());
        assertTrue(incoming.getFileName().toString().startsWith("incoming-") && incoming.getFileName().toString().endsWith(".part"));
        assertEquals(0, Files.size(incoming));
        assertEquals(List.of(meta(5, 1)), metas(files.list()), "an incoming file is no snapshot yet");
        byte[] received = content(meta(40, 4), 5000);
        try (OutputStream out = Files.newOutputStream(incoming)) {
            out.write(received, 0, 2000);
            out.write(received, 2000, 3000);
        }
        SnapshotFiles.Stored s = files.adopt(meta(40, 4), incoming);
        assertEquals(new SnapshotFiles.Stored(meta(40, 4), tmp.resolve(SnapshotFiles.fileName(meta(40, 4))), 5000), s);
        assertFalse(Files.exists(incoming));
        assertArrayEquals(received, Files.readAllBytes(s.file()));
        assertEquals(Optional.of(s), files.newest());
        assertEquals(List.of(meta(40, 4), meta(5, 1)), metas(files.list()));
    }

    @Test
    void adoptTakesOnlyItsOwnIncomingFiles() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp.resolve("snapshots"), false);
        Path elsewhere = Files.write(tmp.resolve("incoming-1.part"), new byte[1]);
        assertThrows(IllegalArgumentException.class, () -> files.adopt(meta(2, 1), elsewhere));
        Path notIncoming = Files.write(tmp.resolve("snapshots/received.bin"), new byte[1]);
        assertThrows(IllegalArgumentException.class, () -> files.adopt(meta(2, 1), notIncoming));
        assertThrows(IllegalArgumentException.class, () -> files.adopt(SnapshotMeta.NONE, files.newIncomingFile()));
        assertEquals(List.of(), files.list());
    }

    @Test
    void deleteOlderThanKeepsThatSnapshotNewerOnesAndFilesInProgress() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, true);
        write(files, meta(5, 1), new byte[] {1});
        SnapshotFiles.Stored keep = write(files, meta(9, 1), new byte[] {2});
        SnapshotFiles.Stored newer = write(files, meta(14, 2), new byte[] {3});
        Path incoming = files.newIncomingFile();
        files.deleteOlderThan(meta(9, 1));
        assertEquals(List.of(newer, keep), files.list());
        assertEquals(Optional.of(newer), files.newest());
        assertTrue(Files.exists(incoming));

        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> files.deleteOlderThan(meta(30, 3)));
        assertTrue(e.getMessage().contains(SnapshotFiles.fileName(meta(30, 3))), e.getMessage());
        assertEquals(List.of(newer, keep), files.list(), "nothing deleted");
    }

    @Test
    void aReaderKeepsReadingADeletedSnapshot() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        byte[] old = content(meta(3, 1), 300_000);
        SnapshotFiles.Stored s = write(files, meta(3, 1), old);
        write(files, meta(6, 1), new byte[] {1});
        try (InputStream in = Files.newInputStream(s.file())) {
            byte[] head = in.readNBytes(1000);
            files.deleteOlderThan(meta(6, 1));
            assertFalse(Files.exists(s.file()));
            byte[] rest = in.readAllBytes();
            byte[] all = new byte[head.length + rest.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(rest, 0, all, head.length, rest.length);
            assertArrayEquals(old, all);
        }
    }

    @Test
    void namesParseBackAndBadNamesSayWhy() {
        for (SnapshotMeta m : List.of(meta(1, 1), meta(123_456_789, 42), meta(Long.MAX_VALUE, Long.MAX_VALUE))) {
            String name = SnapshotFiles.fileName(m);
            assertEquals("snapshot-".length() + 20 + 1 + 20 + ".snap".length(), name.length(), name);
            assertEquals(m, SnapshotFiles.parseName(name));
        }
        assertEquals("snapshot-00000000000000000007-00000000000000000002.snap", SnapshotFiles.fileName(meta(7, 2)));
        assertReason("snapshot-7-2.snap", "not of the form");
        assertReason("snapshot-00000000000000000007-0000000000000000000x.snap", "not of the form");
        assertReason("snapshot-99999999999999999999-00000000000000000002.snap", "index 99999999999999999999 is out of range");
        assertReason("snapshot-00000000000000000007-99999999999999999999.snap", "term 99999999999999999999 is out of range");
        assertReason("snapshot-00000000000000000000-00000000000000000000.snap", "above 0");
        assertReason("snapshot-00000000000000000005-00000000000000000000.snap", "above 0");
        assertReason("notes.txt", "not a snapshot file");
        assertReason("snapshot-00000000000000000007-00000000000000000002.snap.bak", "not a snapshot file");
    }

    private static void assertReason(String name, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SnapshotFiles.parseName(name));
        assertTrue(e.getMessage().contains(reason), name + ": " + e.getMessage());
    }

    @Test
    void badlyNamedFilesAreIgnoredNotFatal() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        SnapshotFiles.Stored good = write(files, meta(2, 1), new byte[] {1});
        Files.writeString(tmp.resolve("snapshot-99999999999999999999-00000000000000000002.snap"), "x");
        Files.writeString(tmp.resolve("snapshot-00000000000000000000-00000000000000000000.snap"), "x");
        Files.writeString(tmp.resolve("README"), "x");
        assertEquals(List.of(good), files.list());
        assertEquals(Optional.of(good), SnapshotFiles.open(tmp, false).newest());
        files.deleteOlderThan(meta(2, 1));
        assertEquals(4, names(tmp).size(), "deleteOlderThan deletes snapshots only");
    }

    @Test
    void newestIsReadableWhileASnapshotIsBeingWritten() throws Exception {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        SnapshotFiles.Stored first = write(files, meta(1, 1), new byte[] {1});
        CountDownLatch halfWritten = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<SnapshotFiles.Stored> pending = writer.submit(() -> files.write(meta(2, 1), out -> {
                out.write(new byte[100_000]);
                halfWritten.countDown();
                try {
                    if (!goOn.await(30, TimeUnit.SECONDS)) throw new IOException("never released");
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                out.write(new byte[100_000]);
            }));
            assertTrue(halfWritten.await(30, TimeUnit.SECONDS));
            assertEquals(Optional.of(first), files.newest(), "the snapshot being written is not visible yet");
            assertEquals(List.of(first), files.list());
            goOn.countDown();
            SnapshotFiles.Stored second = pending.get(30, TimeUnit.SECONDS);
            assertEquals(Optional.of(second), files.newest());
            assertEquals(200_000, second.bytes());
        } finally {
            goOn.countDown();
            writer.shutdownNow();
        }
    }

    @Test
    void concurrentWritersAndReadersSeeOnlyCompleteSnapshotsInOrder() throws Exception {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        int count = 40;
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            // Two writers interleave (odd and even indexes); the newest may only ever move forward.
            List<Future<?>> writers = new ArrayList<>();
            for (int parity = 0; parity < 2; parity++) {
                int p = parity;
                writers.add(pool.submit(() -> {
                    for (long i = 1 + p; i <= count; i += 2) write(files, meta(i, 1), content(meta(i, 1), 20_000));
                    return null;
                }));
            }
            Future<Long> reader = pool.submit(() -> {
                long seen = 0;
                long observations = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (seen < count) {
                    if (System.nanoTime() > deadline) throw new AssertionError("newest stuck at " + seen);
                    Optional<SnapshotFiles.Stored> n = files.newest();
                    if (n.isEmpty()) continue;
                    long index = n.get().meta().index();
                    if (index < seen) throw new AssertionError("newest went back from " + seen + " to " + index);
                    seen = index;
                    observations++;
                    // Files are never deleted here, and a final name is only ever a complete file.
                    if (Files.size(n.get().file()) != 20_000) throw new AssertionError("partial file " + n.get());
                }
                return observations;
            });
            for (Future<?> w : writers) w.get(60, TimeUnit.SECONDS);
            assertTrue(reader.get(60, TimeUnit.SECONDS) > 0);
            assertEquals(count, files.list().size());
            assertEquals(count, files.newest().orElseThrow().meta().index());
            assertFalse(names(tmp).stream().anyMatch(n -> n.endsWith(".tmp")));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void contentsAreOpaque() throws IOException {
        SnapshotFiles files = SnapshotFiles.open(tmp, false);
        byte[] text = "not even a checksum".getBytes(StandardCharsets.UTF_8);
        SnapshotFiles.Stored s = write(files, meta(1, 1), text);
        assertArrayEquals(text, Files.readAllBytes(s.file()));
    }
}
