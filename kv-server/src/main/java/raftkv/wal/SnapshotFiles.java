package raftkv.wal;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.raft.SnapshotMeta;

/**
 * The node's snapshot files, in one directory of their own:
 * {@code snapshot-<index, 20 digits>-<term, 20 digits>.snap}, complete and durable; while one is
 * written, {@code snapshot-...tmp}; while one is received from a leader, {@code incoming-...part}.
 * A file gets its final name only by an atomic rename once its bytes are durable, so a complete
 * name never shows a partial file, and the name alone says what a file holds: listing reads no
 * contents. The contents are opaque here: the state machine's stream ends in its own checksum,
 * which the node verifies when it reads a snapshot.
 *
 * <p>Thread-safe: the node thread, a background snapshot writer and transport threads use it at
 * once. Contents are written outside any lock; renames into final names, deletions and the cached
 * {@link #newest()} take effect in one order. One instance per directory (the node's data folder
 * lock ensures one process): {@link #open} deletes the temporary files it finds.
 */
public final class SnapshotFiles {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFiles.class);
    private static final Pattern NAME = Pattern.compile("snapshot-(\\d{20})-(\\d{20})\\.snap");
    private static final String PREFIX = "snapshot-";
    private static final String SUFFIX = ".snap";
    private static final String TEMP_SUFFIX = ".tmp";
    private static final String INCOMING_PREFIX = "incoming-";
    private static final String INCOMING_SUFFIX = ".part";
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final Comparator<Stored> NEWEST_FIRST =
            Comparator.comparingLong((Stored s) -> s.meta().index()).thenComparingLong(s -> s.meta().term()).reversed();

    /** A complete snapshot file: what it covers, where it is, how long it is. */
    public record Stored(SnapshotMeta meta, Path file, long bytes) {}

    /** Writes a snapshot's bytes. The stream is buffered; closing it is allowed and only flushes. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private final Path dir;
    private final boolean fsync;
    // Orders renames into final names, deletions of them, and updates of newest.
    private final Object lock = new Object();
    // The complete snapshot with the highest index, or null; read without the lock.
    private volatile Stored newest;

    private SnapshotFiles(Path dir, boolean fsync) {
        this.dir = dir;
        this.fsync = fsync;
    }

    /**
     * Opens {@code dir}, creating it if missing, and deletes the temporary and incoming files a
     * crash left (then syncs the directory, if it deleted any).
     *
     * @param fsync false only for tests: nothing is forced to disk then
     */
    public static SnapshotFiles open(Path dir, boolean fsync) {
        try {
            PrivateFiles.createDirectories(dir);
            boolean deleted = false;
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (!isTemporary(f.getFileName().toString())) continue;
                    Files.deleteIfExists(f);
                    deleted = true;
                    LOG.info("snapshots: deleted {}, left by an interrupted write or transfer", f);
                }
            }
            if (deleted && fsync) FileSync.directory(dir);
            SnapshotFiles files = new SnapshotFiles(dir, fsync);
            files.newest = files.list().stream().findFirst().orElse(null);
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open snapshot directory " + dir, e);
        }
    }

    /**
     * Every complete snapshot file, newest (highest index) first, known by its name alone. A file
     * whose name does not parse is skipped with a WARN that says why.
     */
    public List<Stored> list() {
        List<Stored> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (isTemporary(name)) continue; // a write or a transfer in progress
                SnapshotMeta meta;
                try {
                    meta = parseName(name);
                } catch (IllegalArgumentException e) {
                    LOG.warn("snapshots: ignoring {}: {}", f, e.getMessage());
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(f, BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    continue; // deleted since the listing
                }
                if (!attributes.isRegularFile()) {
                    LOG.warn("snapshots: ignoring {}: not a regular file", f);
                    continue;
                }
                out.add(new Stored(meta, f, attributes.size()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list snapshot directory " + dir, e);
        }
        out.sort(NEWEST_FIRST);
        return out;
    }

    /** The complete snapshot with the highest index, or empty. Cached: cheap from any thread. */
    public Optional<Stored> newest() {
        return Optional.ofNullable(newest);
    }

    /**
     * Writes a snapshot atomically: streams {@code writer}'s bytes into a temporary file in the
     * directory, forces it, renames it to its final name and syncs the directory. It is then the
     * newest, unless one with a higher index exists; a file of the same snapshot is replaced.
     * If the writer or the disk fails, the temporary file is deleted and nothing is left behind
     * (a failure of the final directory sync may leave the complete file, not known durable).
     */
    public Stored write(SnapshotMeta meta, Writer writer) throws IOException {
        requireSnapshot(meta);
        Objects.requireNonNull(writer, "writer");
        Path temporary = Files.createTempFile(dir, String.format("snapshot-%020d-%020d-", meta.index(), meta.term()), TEMP_SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), BUFFER_BYTES);
                writer.write(new KeepOpen(out));
                out.flush();
                if (fsync) ch.force(true);
            }
            return publish(meta, temporary);
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
    }

    /**
     * A new, empty file in the directory to receive a leader's snapshot into; {@link #adopt}
     * makes it a snapshot. If the node stops first, {@link #open} deletes it.
     */
    public Path newIncomingFile() throws IOException {
        return Files.createTempFile(dir, INCOMING_PREFIX, INCOMING_SUFFIX);
    }

    /**
     * Makes a file from {@link #newIncomingFile()}, completely received, the snapshot {@code meta}:
     * forces it, renames it to its final name and syncs the directory; as {@link #write}, it is
     * then the newest unless one with a higher index exists. On failure the incoming file may remain.
     */
    public Stored adopt(SnapshotMeta meta, Path incoming) throws IOException {
        requireSnapshot(meta);
        Path name = incoming.getFileName();
        Path parent = incoming.toAbsolutePath().normalize().getParent();
        if (name == null || !isIncoming(name.toString()) || !dir.toAbsolutePath().normalize().equals(parent)) {
            throw new IllegalArgumentException(incoming + " is not an incoming file of " + dir);
        }
        if (fsync) FileSync.file(incoming);
        return publish(meta, incoming);
    }

    /**
     * Deletes every complete snapshot file older than {@code keep} (a lower index), then syncs the
     * directory. Newer ones stay: one may have been adopted or written on another thread since the
     * caller chose {@code keep}, and the log may already have been compacted to it. A reader that
     * has a deleted file open goes on reading it (POSIX). Temporary and incoming files are left alone.
     *
     * @throws NoSuchFileException if there is no file of {@code keep} (then nothing is deleted)
     */
    public void deleteOlderThan(SnapshotMeta keep) throws IOException {
        requireSnapshot(keep);
        Path kept = dir.resolve(fileName(keep));
        synchronized (lock) {
            if (!Files.isRegularFile(kept)) throw new NoSuchFileException(kept.toString(), null, "the snapshot to keep has no file");
            boolean deleted = false;
            for (Stored s : list()) {
                if (s.meta().index() >= keep.index()) continue;
                Files.deleteIfExists(s.file());
                deleted = true;
            }
            if (deleted && fsync) FileSync.directory(dir);
        }
    }

    /** The final name of {@code meta}'s file. */
    static String fileName(SnapshotMeta meta) {
        return String.format("snapshot-%020d-%020d.snap", meta.index(), meta.term());
    }

    /** The snapshot a final file name stands for; throws {@link IllegalArgumentException} saying why it is not one. */
    static SnapshotMeta parseName(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            if (name.startsWith(PREFIX) && name.endsWith(SUFFIX)) {
                throw new IllegalArgumentException("not of the form snapshot-<index, 20 digits>-<term, 20 digits>.snap");
            }
            throw new IllegalArgumentException("not a snapshot file");
        }
        long index = parseNumber(m.group(1), "index");
        long term = parseNumber(m.group(2), "term");
        if (index == 0 || term == 0) throw new IllegalArgumentException("a snapshot has an index and a term above 0");
        return new SnapshotMeta(index, term);
    }

    private static long parseNumber(String digits, String what) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " " + digits + " is out of range");
        }
    }

    /** Renames a durable file to {@code meta}'s final name and makes that durable. */
    private Stored publish(SnapshotMeta meta, Path from) throws IOException {
        Path to = dir.resolve(fileName(meta));
        synchronized (lock) {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            if (fsync) FileSync.directory(dir);
            Stored stored = new Stored(meta, to, Files.size(to));
            Stored n = newest;
            if (n == null || meta.index() >= n.meta().index()) newest = stored;
            return stored;
        }
    }

    private static void requireSnapshot(SnapshotMeta meta) {
        Objects.requireNonNull(meta, "meta");
        if (meta.index() == 0) throw new IllegalArgumentException("SnapshotMeta.NONE names no snapshot");
    }

    private static boolean isTemporary(String name) {
        return name.endsWith(TEMP_SUFFIX) || isIncoming(name);
    }

    private static boolean isIncoming(String name) {
        return name.startsWith(INCOMING_PREFIX) && name.endsWith(INCOMING_SUFFIX);
    }

    /** The stream a {@link Writer} gets: closing it only flushes, so that the file can still be forced. */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
