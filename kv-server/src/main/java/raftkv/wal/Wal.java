package raftkv.wal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;

/**
 * The write-ahead log: hard state and entry records appended to size-capped segment files in
 * one directory (see {@link Segment} and {@link RecordCodec} for the format). A truncation is an
 * entry record with a lower index, so nothing is ever rewritten in place.
 *
 * <p>Group commit: the node thread calls {@link #saveHardState} and {@link #append} any number of
 * times, then {@link #sync()} once; a sync with nothing new written costs nothing. Not
 * thread-safe. After an I/O error the log refuses every further call: after a failed fsync the
 * state of the file is unknown, and retrying could acknowledge writes that are lost.
 */
public final class Wal implements RaftStorage {
    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(Wal.class);
    private static final long SLOW_FSYNC_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final String LOCK_FILE = "wal.lock";
    // Every segment starts with a header and a hard state record, both of fixed size.
    static final long PREAMBLE_BYTES = RecordCodec.encode(new WalRecord.SegmentHeader(0, 0, 0)).remaining()
            + RecordCodec.encode(new WalRecord.HardStateRecord(HardState.INITIAL)).remaining();

    private final Path dir;
    private final boolean fsync;
    private final long segmentBytes;
    private final Recovered recovered;
    private final FileChannel lockChannel;
    // Older segments, oldest first; each was forced before the next was created.
    private final ArrayDeque<WalRecovery.SegmentInfo> closedSegments;
    private SegmentWriter current;
    private HardState hardState;
    // Index and term of the last entry written (durable or not); appends must not leave a gap after it.
    private long lastIndex;
    private long lastTerm;
    // True when something was written since the last sync.
    private boolean dirty;
    private IOException failure;
    private boolean closed;
    private long fsyncCount;

    private Wal(Path dir, boolean fsync, long segmentBytes, FileChannel lockChannel, WalRecovery.Result r) {
        this.dir = dir;
        this.fsync = fsync;
        this.segmentBytes = segmentBytes;
        this.lockChannel = lockChannel;
        this.recovered = new Recovered(r.hardState(), SnapshotMeta.NONE, r.entries());
        this.closedSegments = new ArrayDeque<>(r.closed());
        this.hardState = r.hardState();
        this.lastIndex = r.lastIndex();
        this.lastTerm = r.lastTerm();
    }

    public static Wal open(Path dir, boolean fsync) {
        return open(dir, fsync, DEFAULT_SEGMENT_BYTES);
    }

    /**
     * Opens the log in {@code dir} (created if missing), replays it and cuts a torn tail. Throws
     * {@link WalCorruptException} if the log is damaged anywhere else, and
     * {@link IllegalStateException} if another {@code Wal} holds the directory.
     *
     * @param fsync        false only for tests: {@link #sync()} then stops at the operating system
     * @param segmentBytes the size at which a new segment is started (a single record may exceed it)
     */
    public static Wal open(Path dir, boolean fsync, long segmentBytes) {
        if (segmentBytes <= 0) throw new IllegalArgumentException("segmentBytes must be > 0, got " + segmentBytes);
        FileChannel lock = null;
        try {
            Files.createDirectories(dir);
            lock = lockDirectory(dir);
            WalRecovery.Result replayed = WalRecovery.replay(dir);
            Wal wal = new Wal(dir, fsync, segmentBytes, lock, replayed);
            wal.current = wal.openLastSegment(replayed.last());
            return wal;
        } catch (IOException e) {
            closeQuietly(lock, e);
            throw new UncheckedIOException("cannot open write-ahead log in " + dir, e);
        } catch (RuntimeException e) {
            closeQuietly(lock, e);
            throw e;
        }
    }

    @Override
    public Recovered recovered() {
        return recovered;
    }

    @Override
    public void saveHardState(HardState hs) {
        ensureUsable();
        try {
            writeRecord(new WalRecord.HardStateRecord(hs), 0);
        } catch (IOException e) {
            throw fail(e);
        }
        hardState = hs;
    }

    @Override
    public void append(List<Entry> entries) {
        ensureUsable();
        if (entries.isEmpty()) return;
        long expected = entries.get(0).index();
        if (expected > lastIndex + 1) {
            throw new IllegalArgumentException("entry " + expected + " would leave a gap after entry " + lastIndex);
        }
        for (Entry e : entries) {
            if (e.index() != expected++) throw new IllegalArgumentException("entries are not contiguous at index " + e.index());
        }
        try {
            for (Entry e : entries) {
                writeRecord(new WalRecord.EntryRecord(e), e.index());
                lastIndex = e.index();
                lastTerm = e.term();
            }
        } catch (IOException e) {
            throw fail(e);
        }
    }

    @Override
    public void sync() {
        ensureUsable();
        if (!dirty) return;
        try {
            current.flush();
            if (fsync) force(current);
        } catch (IOException e) {
            throw fail(e);
        }
        dirty = false;
    }

    /**
     * Deletes the oldest segments while every entry they hold is at or below {@code index}. The
     * segment being written is never deleted. Hard state is safe: each segment starts with it.
     */
    public void compactTo(long index) {
        ensureUsable();
        boolean deleted = false;
        try {
            while (!closedSegments.isEmpty() && closedSegments.peekFirst().maxIndex() <= index) {
                Files.delete(closedSegments.removeFirst().file());
                deleted = true;
            }
            if (deleted && fsync) fsyncDirectory();
        } catch (IOException e) {
            throw fail(e);
        }
    }

    /** Makes every write durable, then releases the files. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        try {
            if (failure == null) sync();
        } finally {
            closed = true;
            try {
                current.close();
            } catch (IOException e) {
                LOG.warn("wal: closing {} failed", current.file(), e);
            }
            closeQuietly(lockChannel, null);
        }
    }

    /** How many times a segment was forced to disk; for tests of group commit. */
    long fsyncCount() {
        return fsyncCount;
    }

    private SegmentWriter openLastSegment(WalRecovery.LastSegment last) throws IOException {
        if (last == null) return startSegment(1);
        // A segment cut before its header and hard state were whole gets them written again.
        boolean rewrite = !last.hasPreamble();
        SegmentWriter w = rewrite
                ? SegmentWriter.reopen(last.file(), last.seq(), 0, last.prevIndex())
                : SegmentWriter.reopen(last.file(), last.seq(), last.validBytes(), last.maxIndex());
        try {
            if (rewrite) {
                LOG.warn("wal: {} holds no whole segment preamble (torn at byte offset {}); rewriting it", last.file(), last.validBytes());
                writePreamble(w, last.prevIndex(), last.prevTerm());
            } else if (last.validBytes() < last.fileBytes()) {
                LOG.warn("wal: torn tail in {} at byte offset {} ({}); cut {} bytes", last.file(), last.validBytes(),
                        last.tailProblem(), last.fileBytes() - last.validBytes());
                if (fsync) force(w);
            }
            return w;
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** Creates segment {@code seq}, continuing after the last entry written, with its preamble durable. */
    private SegmentWriter startSegment(long seq) throws IOException {
        SegmentWriter w = SegmentWriter.create(dir, seq, lastIndex);
        try {
            if (fsync) fsyncDirectory();
            writePreamble(w, lastIndex, lastTerm);
            return w;
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** Writes header and hard state to an empty segment and makes them durable. */
    private void writePreamble(SegmentWriter w, long prevIndex, long prevTerm) throws IOException {
        w.write(RecordCodec.encode(new WalRecord.SegmentHeader(w.seq(), prevIndex, prevTerm)), prevIndex);
        w.write(RecordCodec.encode(new WalRecord.HardStateRecord(hardState)), prevIndex);
        w.flush();
        if (fsync) force(w);
    }

    private void writeRecord(WalRecord record, long entryIndex) throws IOException {
        ByteBuffer frame = RecordCodec.encode(record);
        if (current.size() > PREAMBLE_BYTES && current.size() + frame.remaining() > segmentBytes) rotate();
        current.write(frame, entryIndex);
        dirty = true;
    }

    /** Makes the current segment durable and closes it, then starts the next one. */
    private void rotate() throws IOException {
        current.flush();
        if (fsync) force(current);
        current.close();
        closedSegments.addLast(new WalRecovery.SegmentInfo(current.seq(), current.file(), current.maxIndex()));
        current = startSegment(current.seq() + 1);
        dirty = false;
    }

    private void force(SegmentWriter w) throws IOException {
        long start = System.nanoTime();
        w.force();
        long took = System.nanoTime() - start;
        fsyncCount++;
        if (took > SLOW_FSYNC_NANOS) LOG.warn("wal: fsync of {} took {} ms", w.file(), TimeUnit.NANOSECONDS.toMillis(took));
    }

    /** Makes a file's creation or deletion durable. */
    private void fsyncDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static FileChannel lockDirectory(Path dir) throws IOException {
        FileChannel ch = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = ch.tryLock();
            if (lock == null) throw new IllegalStateException("write-ahead log " + dir + " is in use by another process");
        } catch (OverlappingFileLockException e) {
            ch.close();
            throw new IllegalStateException("write-ahead log " + dir + " is already open", e);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    private void ensureUsable() {
        if (closed) throw new IllegalStateException("write-ahead log " + dir + " is closed");
        if (failure != null) throw new IllegalStateException("write-ahead log " + dir + " failed earlier and cannot be used", failure);
    }

    private UncheckedIOException fail(IOException e) {
        failure = e;
        return new UncheckedIOException("write-ahead log " + dir + " failed", e);
    }

    private static void closeQuietly(FileChannel ch, Exception primary) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException e) {
            if (primary != null) primary.addSuppressed(e);
        }
    }
}
