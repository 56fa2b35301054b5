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
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;

/**
 * The write-ahead log: hard state and entry records appended to size-capped segment files in
 * one directory (see {@link Segment} and {@link RecordCodec} for the format). A truncation is an
 * entry record with a lower index, and a snapshot install a reset record, so nothing is ever
 * rewritten in place.
 *
 * <p>The log works with the node's snapshots (kept elsewhere, see {@link SnapshotFiles}): it is
 * opened with the newest valid snapshot's meta and recovers only the entries after it;
 * {@link #compact} deletes whole segments that a snapshot covers.
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
    private final Steps steps;
    private final Recovered recovered;
    private final FileChannel lockChannel;
    // Older segments, oldest first; each was forced before the next was created.
    private final ArrayDeque<WalRecovery.SegmentInfo> closedSegments;
    private SegmentWriter current;
    private HardState hardState;
    // Index and term of the last entry written (durable or not); appends must not leave a gap after it.
    private long lastIndex;
    private long lastTerm;
    // Entries up to here are covered by a durable snapshot (the one recovered, installed, or compacted
    // to), hence committed: writing one again is a bug in the caller. Invariant: coveredIndex <= lastIndex.
    private long coveredIndex;
    // True when something was written since the last sync.
    private boolean dirty;
    private IOException failure;
    private boolean closed;
    private long fsyncCount;
    private volatile LongConsumer fsyncObserver = nanos -> { };

    /**
     * Called after each file operation of a log restart (and of starting a segment); a test
     * throws from it to stop there, as a crash would: the log then fails, and writes nothing more.
     */
    @FunctionalInterface
    interface Steps {
        Steps NONE = step -> {};

        void reached(String step) throws IOException;
    }

    private Wal(Path dir, boolean fsync, long segmentBytes, Steps steps, FileChannel lockChannel, WalRecovery.Result r,
                SnapshotMeta snapshot, boolean holdsSnapshot) {
        this.dir = dir;
        this.fsync = fsync;
        this.segmentBytes = segmentBytes;
        this.steps = steps;
        this.lockChannel = lockChannel;
        List<Entry> after = List.of();
        if (holdsSnapshot) {
            List<Entry> all = r.entries();
            int covered = (int) (snapshot.index() - r.log().prevIndex());
            after = covered == 0 ? all : List.copyOf(all.subList(covered, all.size()));
        }
        this.recovered = new Recovered(r.hardState(), snapshot, after);
        this.closedSegments = new ArrayDeque<>(r.closed());
        this.hardState = r.hardState();
        this.lastIndex = r.log().lastIndex();
        this.lastTerm = r.log().lastTerm();
        this.coveredIndex = snapshot.index();
    }

    /** Opens the log of a node that has no snapshot; see {@link #open(Path, boolean, long, SnapshotMeta)}. */
    public static Wal open(Path dir, boolean fsync) {
        return open(dir, fsync, DEFAULT_SEGMENT_BYTES, SnapshotMeta.NONE);
    }

    /** Opens the log with the default segment size; see {@link #open(Path, boolean, long, SnapshotMeta)}. */
    public static Wal open(Path dir, boolean fsync, SnapshotMeta snapshot) {
        return open(dir, fsync, DEFAULT_SEGMENT_BYTES, snapshot);
    }

    /** Opens the log of a node that has no snapshot; see {@link #open(Path, boolean, long, SnapshotMeta)}. */
    public static Wal open(Path dir, boolean fsync, long segmentBytes) {
        return open(dir, fsync, segmentBytes, SnapshotMeta.NONE);
    }

    /**
     * Opens the log in {@code dir} (created if missing), replays it and cuts a torn tail, then
     * fits it to {@code snapshot}, the node's newest valid snapshot ({@link SnapshotMeta#NONE} if
     * it has none): {@link #recovered()} holds that snapshot and the entries after it.
     * <ul>
     *   <li>If the log starts after the snapshot (entries between them are in neither), or it holds
     *       no segment at all while a snapshot exists (the hard state is lost), this throws
     *       {@link WalCorruptException}, changing nothing.</li>
     *   <li>If the log holds the snapshot's entry, with its term, the entries after it are recovered.</li>
     *   <li>Otherwise (it ends before that entry or holds another term there: a crash came after the
     *       snapshot was durable but before {@link #installSnapshot} was) the log is restarted
     *       after the snapshot now, as {@link #installSnapshot} does, and recovers no entry.</li>
     * </ul>
     * Throws {@link WalCorruptException} if the log is damaged anywhere but a torn tail, and
     * {@link IllegalStateException} if another {@code Wal} holds the directory.
     *
     * @param fsync        false only for tests: {@link #sync()} then stops at the operating system
     * @param segmentBytes the size at which a new segment is started (a single record may exceed it)
     */
    public static Wal open(Path dir, boolean fsync, long segmentBytes, SnapshotMeta snapshot) {
        return open(dir, fsync, segmentBytes, snapshot, Steps.NONE);
    }

    static Wal open(Path dir, boolean fsync, long segmentBytes, SnapshotMeta snapshot, Steps steps) {
        if (segmentBytes <= 0) throw new IllegalArgumentException("segmentBytes must be > 0, got " + segmentBytes);
        Objects.requireNonNull(snapshot, "snapshot");
        FileChannel lock = null;
        Wal wal = null;
        try {
            PrivateFiles.createDirectories(dir);
            lock = lockDirectory(dir);
            WalRecovery.Result replayed = WalRecovery.replay(dir);
            boolean holdsSnapshot = holdsSnapshot(dir, replayed, snapshot);
            wal = new Wal(dir, fsync, segmentBytes, steps, lock, replayed, snapshot, holdsSnapshot);
            wal.current = wal.openLastSegment(replayed.last());
            if (!holdsSnapshot) {
                long term = replayed.log().term(snapshot.index());
                if (term == EntryList.NOT_HELD) {
                    LOG.warn("wal: the log ends at entry {}, before the snapshot's last entry {}; restarting the log after the snapshot",
                            replayed.log().lastIndex(), snapshot.index());
                } else {
                    LOG.warn("wal: the log holds entry {} of term {}, the snapshot ends at it with term {}; restarting the log after"
                            + " the snapshot", snapshot.index(), term, snapshot.term());
                }
                wal.restartAfter(snapshot);
            }
            return wal;
        } catch (IOException e) {
            abandon(wal, lock, e);
            throw new UncheckedIOException("cannot open write-ahead log in " + dir, e);
        } catch (RuntimeException e) {
            abandon(wal, lock, e);
            throw e;
        }
    }

    /**
     * Whether the replayed log holds the snapshot's entry with its term. Throws if the log cannot
     * be continued from the snapshot: it starts after it, or there is no log at all.
     */
    private static boolean holdsSnapshot(Path dir, WalRecovery.Result r, SnapshotMeta snapshot) {
        EntryList log = r.log();
        if (log.prevIndex() > snapshot.index()) {
            throw new WalCorruptException(r.startFile(), r.startOffset(), "the log starts after entry " + log.prevIndex()
                    + " but the snapshot ends at entry " + snapshot.index() + ": entries " + (snapshot.index() + 1) + ".."
                    + log.prevIndex() + " are in neither");
        }
        if (r.last() == null && snapshot.index() > 0) {
            // A node's first open creates a segment before it can receive or take any snapshot.
            throw new WalCorruptException(dir, 0, "the log holds no segment, yet a snapshot up to entry "
                    + snapshot.index() + " exists: the hard state (term and vote) is lost");
        }
        long term = log.term(snapshot.index());
        // The term before the first entry is unknown (0) only when a truncation reached below a start
        // left by compaction. Compaction followed a snapshot of committed entries, so that entry is
        // committed and, by the Log Matching property, has the snapshot's term.
        return term == snapshot.term() || (term == 0 && snapshot.index() == log.prevIndex());
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
        long first = entries.get(0).index();
        long expected = first;
        if (expected > lastIndex + 1) {
            throw new IllegalArgumentException("entry " + expected + " would leave a gap after entry " + lastIndex);
        }
        if (first <= coveredIndex) {
            throw new IllegalArgumentException("entry " + first + " is covered by a snapshot up to entry " + coveredIndex
                    + ": committed entries are never written again");
        }
        for (Entry e : entries) {
            if (e.index() != expected++) throw new IllegalArgumentException("entries are not contiguous at index " + e.index());
        }
        if (first <= lastIndex) {
            // A truncation: the entries it deletes no longer keep their segments from compaction.
            for (int n = closedSegments.size(); n > 0; n--) closedSegments.addLast(closedSegments.removeFirst().atMost(first - 1));
            current.lowerMaxIndex(first - 1);
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
     * Restarts the log after {@code snapshot}, which is durable and which the log does not cover:
     * writes a reset record and syncs (with every earlier write), starts a new segment that
     * continues after the snapshot, then deletes every older segment, oldest first, and syncs the
     * directory. A crash before the reset record is durable leaves the old log (and {@link #open}
     * restarts it, given the snapshot); any later crash leaves a log whose replay ends in the reset.
     *
     * @throws IllegalArgumentException if the snapshot is not past every snapshot the log has seen
     */
    @Override
    public void installSnapshot(SnapshotMeta snapshot) {
        ensureUsable();
        if (snapshot.index() <= coveredIndex) {
            throw new IllegalArgumentException("snapshot up to entry " + snapshot.index() + " is not past the snapshot up to entry "
                    + coveredIndex + " that the log already has");
        }
        try {
            restartAfter(snapshot);
        } catch (IOException e) {
            throw fail(e);
        }
        coveredIndex = snapshot.index();
    }

    /**
     * Starts a new segment, unless the current one holds nothing but its preamble. It makes every
     * earlier write durable along the way (the old segment is forced before the new one is made).
     */
    @Override
    public void cut() {
        ensureUsable();
        if (current.size() <= PREAMBLE_BYTES) return;
        try {
            rotate();
        } catch (IOException e) {
            throw fail(e);
        }
    }

    /**
     * Deletes the oldest segments while every entry they hold that still counts (a later
     * truncation or reset deleted the others) is at or below {@code index}. The segment being
     * written is never deleted. Hard state is safe: each segment starts with it. Syncs first:
     * a segment may count for nothing only because of a truncation still in the write buffer.
     *
     * @param index covered by a durable snapshot; at most the last index written
     */
    @Override
    public void compact(long index) {
        ensureUsable();
        if (index < 0 || index > lastIndex) {
            throw new IllegalArgumentException("cannot compact to entry " + index + ": the log ends at entry " + lastIndex);
        }
        coveredIndex = Math.max(coveredIndex, index);
        sync();
        boolean deleted = false;
        try {
            while (!closedSegments.isEmpty() && closedSegments.peekFirst().maxIndex() <= index) {
                Files.delete(closedSegments.removeFirst().file());
                deleted = true;
            }
            if (deleted && fsync) FileSync.directory(dir);
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
                ? SegmentWriter.reopen(last.file(), last.seq(), 0, 0, last.prevIndex(), segmentBytes)
                : SegmentWriter.reopen(last.file(), last.seq(), last.validBytes(),
                        last.tailProblem() == null ? last.fileBytes() : last.validBytes(), last.maxIndex(), segmentBytes);
        try {
            if (rewrite) {
                LOG.warn("wal: {} holds no whole segment preamble (torn at byte offset {}); rewriting it", last.file(), last.validBytes());
                writePreamble(w, last.prevIndex(), last.prevTerm());
            } else {
                if (last.tailProblem() != null) {
                    LOG.warn("wal: torn tail in {} at byte offset {} ({}); cut {} bytes", last.file(), last.validBytes(),
                            last.tailProblem(), last.fileBytes() - last.validBytes());
                }
                // A crashed process may have left records in the page cache only; recovery has just relied
                // on them (which segments count, whether the log holds the snapshot), so they must be durable.
                if (fsync) force(w);
            }
            return w;
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** Restarts the log after {@code snapshot}; see {@link #installSnapshot}. Used by it and by {@link #open}. */
    private void restartAfter(SnapshotMeta snapshot) throws IOException {
        writeRecord(new WalRecord.ResetRecord(snapshot.index(), snapshot.term()), 0);
        steps.reached("reset written");
        current.seal();
        if (fsync) force(current);
        dirty = false;
        steps.reached("reset durable");
        lastIndex = snapshot.index();
        lastTerm = snapshot.term();
        current.close();
        closedSegments.addLast(new WalRecovery.SegmentInfo(current.seq(), current.file(), current.maxIndex()));
        current = startSegment(current.seq() + 1);
        while (!closedSegments.isEmpty()) {
            Files.delete(closedSegments.removeFirst().file());
            steps.reached("segment deleted");
        }
        if (fsync) FileSync.directory(dir);
        steps.reached("directory durable");
    }

    /** Creates segment {@code seq}, continuing after the last entry written, with its preamble durable. */
    private SegmentWriter startSegment(long seq) throws IOException {
        SegmentWriter w = SegmentWriter.create(dir, seq, lastIndex, segmentBytes);
        try {
            steps.reached("segment created");
            if (fsync) FileSync.directory(dir);
            writePreamble(w, lastIndex, lastTerm);
            steps.reached("segment started");
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
        current.seal();
        if (fsync) force(current);
        current.close();
        closedSegments.addLast(new WalRecovery.SegmentInfo(current.seq(), current.file(), current.maxIndex()));
        current = startSegment(current.seq() + 1);
        dirty = false;
    }

    /** {@code observer} is told how long each fsync of a segment took, in nanoseconds (metrics). */
    public void observeFsyncs(LongConsumer observer) {
        this.fsyncObserver = observer;
    }

    private void force(SegmentWriter w) throws IOException {
        long start = System.nanoTime();
        w.force();
        long took = System.nanoTime() - start;
        fsyncCount++;
        fsyncObserver.accept(took);
        if (took > SLOW_FSYNC_NANOS) LOG.warn("wal: fsync of {} took {} ms", w.file(), TimeUnit.NANOSECONDS.toMillis(took));
    }

    private static FileChannel lockDirectory(Path dir) throws IOException {
        FileChannel ch = PrivateFiles.open(dir.resolve(LOCK_FILE), Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE));
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

    /** Releases what a failed {@link #open} holds, writing nothing more. */
    private static void abandon(Wal wal, FileChannel lock, Exception primary) {
        if (wal != null && wal.current != null) {
            try {
                wal.current.close();
            } catch (IOException e) {
                primary.addSuppressed(e);
            }
        }
        closeQuietly(lock, primary);
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
