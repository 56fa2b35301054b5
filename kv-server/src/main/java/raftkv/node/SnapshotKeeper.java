package raftkv.node;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.config.Limits;
import raftkv.kv.CorruptSnapshotException;
import raftkv.kv.KvLimits;
import raftkv.kv.KvStateMachine;
import raftkv.kv.SnapshotView;
import raftkv.raft.Entry;
import raftkv.raft.Message;
import raftkv.raft.SnapshotMeta;
import raftkv.transport.SnapshotSource;
import raftkv.wal.RaftStorage;
import raftkv.wal.SnapshotFiles;

/**
 * One node's snapshots: when to take one, writing it on a background thread from a view the
 * state machine captured in O(1) (so the node keeps applying meanwhile), what to compact once it
 * is durable, installing a snapshot a leader sent, and finding the newest valid one at start.
 *
 * <p>Owned by the node thread, except {@link #read} (any thread) and the background writer, which
 * only touches the immutable view and {@link SnapshotFiles} (thread-safe) and reports back
 * through the callback it is given.
 */
public final class SnapshotKeeper implements SnapshotSource, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SnapshotKeeper.class);

    /**
     * Entries the core keeps in memory below its newest snapshot, so that a follower a little
     * behind catches up by AppendEntries rather than by a whole snapshot (etcd keeps 5,000 too).
     */
    static final int CATCH_UP_ENTRIES = 5_000;

    /** What the log adds to an entry's data: record framing, index, term, type (an estimate). */
    static final int ENTRY_FRAMING_BYTES = 32;

    /** What a background write ended with: {@code failure} is null on success. */
    public record Written(SnapshotMeta meta, long bytes, long millis, Throwable failure) {}

    /** A snapshot received from a leader, already read and checked: it only waits for the core's word. */
    public record Received(Path file, KvStateMachine machine) {}

    /** The state a node starts from: its newest valid snapshot, or an empty store. */
    public record Loaded(SnapshotMeta meta, KvStateMachine machine) {}

    private final long id;
    private final SnapshotFiles files;
    private final RaftStorage storage;
    private final int snapshotEntries;
    private final long segmentBytes;
    private final Executor writer;
    // The writer's thread when this keeper made it (stopped by close); null when it was given one.
    private final ExecutorService ownWriter;
    private final long catchUpBytes;
    // Given to every machine this keeper restores, so that a node's machine always applies its
    // cluster's bounds, whether it started empty, from its own snapshot or from the leader's.
    private final KvLimits limits;
    // Node thread only. Invariant: lastIndex is the index of the newest durable snapshot (0: none).
    private long lastIndex;
    // Node thread only: the applied index of the write in flight or of the last failed one, so a
    // failing disk is retried every snapshotEntries entries rather than after every batch.
    private long lastAttempt;
    private boolean writing;
    // Node thread only: log bytes applied since the last snapshot began, and the size of the
    // newest snapshot (the live data), for the byte trigger (see due).
    private long bytesSinceSnapshot;
    private long snapshotBytes;
    // Told the duration of each snapshot written (metrics); set before the node starts.
    private java.util.function.LongConsumer writeObserver = millis -> {};

    /**
     * @param segmentBytes the log's segment size, for the byte trigger
     * @param recovered    the snapshot the node started from ({@link SnapshotMeta#NONE} if none)
     */
    public SnapshotKeeper(long id, SnapshotFiles files, RaftStorage storage, int snapshotEntries, long segmentBytes,
                          SnapshotMeta recovered) {
        this(id, files, storage, snapshotEntries, segmentBytes, recovered, KvLimits.DEFAULTS);
    }

    /** @param limits the cluster's bounds, set on each machine received from a leader */
    public SnapshotKeeper(long id, SnapshotFiles files, RaftStorage storage, int snapshotEntries, long segmentBytes,
                          SnapshotMeta recovered, KvLimits limits) {
        this(id, files, storage, snapshotEntries, segmentBytes, recovered, limits, Limits.DEFAULT_CATCH_UP_LOG_BYTES, null);
    }

    /**
     * @param catchUpBytes the most bytes of those entries kept in memory below the newest snapshot
     *                     (config {@code catchUpLogBytes}): entries alone do not bound the heap,
     *                     since 5,000 entries of 1 MiB would take 5 GiB
     * @param writer       where background snapshot writes run (the simulator gives one that runs
     *                     them at a simulated time); null: a daemon thread of this keeper's own
     */
    public SnapshotKeeper(long id, SnapshotFiles files, RaftStorage storage, int snapshotEntries, long segmentBytes,
                          SnapshotMeta recovered, KvLimits limits, long catchUpBytes, Executor writer) {
        if (catchUpBytes < 1) throw new IllegalArgumentException("catchUpBytes must be >= 1, got " + catchUpBytes);
        this.catchUpBytes = catchUpBytes;
        this.limits = java.util.Objects.requireNonNull(limits, "limits");
        if (snapshotEntries < 1) throw new IllegalArgumentException("snapshotEntries must be >= 1, got " + snapshotEntries);
        if (segmentBytes < 1) throw new IllegalArgumentException("segmentBytes must be >= 1, got " + segmentBytes);
        this.id = id;
        this.files = files;
        this.storage = storage;
        this.snapshotEntries = snapshotEntries;
        this.segmentBytes = segmentBytes;
        this.lastIndex = recovered.index();
        this.lastAttempt = recovered.index();
        this.snapshotBytes = files.newest().filter(s -> s.meta().equals(recovered)).map(SnapshotFiles.Stored::bytes).orElse(0L);
        this.ownWriter = writer != null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "raft-snapshot-" + id);
            t.setDaemon(true);
            return t;
        });
        this.writer = writer != null ? writer : ownWriter;
    }

    /**
     * Reads the newest snapshot in {@code files} that passes its checks; a damaged one is skipped
     * with a WARN (the log then has to reach back to an older one, or the node refuses to start).
     */
    public static Loaded loadNewest(long id, SnapshotFiles files) {
        return loadNewest(id, files, KvLimits.DEFAULTS);
    }

    /** As {@link #loadNewest(long, SnapshotFiles)}, the machine set to apply {@code limits}. */
    public static Loaded loadNewest(long id, SnapshotFiles files, KvLimits limits) {
        Loaded loaded = loadNewestValid(id, files);
        loaded.machine().limits(limits);
        return loaded;
    }

    private static Loaded loadNewestValid(long id, SnapshotFiles files) {
        for (SnapshotFiles.Stored s : files.list()) {
            try {
                return new Loaded(s.meta(), read(s.file(), s.meta()));
            } catch (IOException e) {
                log.warn("node {}: snapshot {} is unusable, trying an older one: {}", id, s.file(), e.getMessage());
            }
        }
        return new Loaded(SnapshotMeta.NONE, new KvStateMachine());
    }

    /**
     * Reads a snapshot file and checks that it holds the state after {@code expected}; any thread.
     *
     * @throws CorruptSnapshotException if it does not (checksum, structure, or another index/term)
     */
    static KvStateMachine read(Path file, SnapshotMeta expected) throws IOException {
        KvStateMachine machine;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            machine = KvStateMachine.readSnapshot(in);
            if (in.read() != -1) throw new CorruptSnapshotException("corrupt snapshot: bytes after its end record");
        }
        if (machine.appliedIndex() != expected.index() || machine.appliedTerm() != expected.term()) {
            throw new CorruptSnapshotException("snapshot " + file + " holds the state after entry " + machine.appliedIndex()
                    + " of term " + machine.appliedTerm() + ", expected entry " + expected.index() + " of term " + expected.term());
        }
        return machine;
    }

    /**
     * Reads a snapshot file that stands alone (a backup from kvctl snapshot save) and checks it
     * whole: structure, every rule of its contents, its checksum, and that nothing follows it.
     *
     * @throws CorruptSnapshotException if it is not a whole, intact snapshot
     */
    public static KvStateMachine readBackup(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            KvStateMachine machine = KvStateMachine.readSnapshot(in);
            if (in.read() != -1) throw new CorruptSnapshotException("corrupt snapshot: bytes after its end record");
            return machine;
        }
    }

    /**
     * Reads and checks a whole snapshot a leader streamed to {@code file} (any thread); empty, with
     * a warning, if it is unusable. The caller keeps or discards the file.
     */
    public static Optional<Received> receive(long id, Message.SnapshotRequest request, Path file) {
        try {
            return Optional.of(new Received(file, read(file, request.snapshot())));
        } catch (IOException | RuntimeException e) {
            log.warn("node {}: the snapshot node {} sent for entry {} is unusable: {}", id, request.from(),
                    request.snapshot().index(), e.getMessage());
            return Optional.empty();
        }
    }

    /** {@code observer} is told the milliseconds each snapshot write took; call before the node starts. */
    public void observeWrites(java.util.function.LongConsumer observer) {
        this.writeObserver = java.util.Objects.requireNonNull(observer, "observer");
    }

    /** Counts an applied entry toward the byte trigger. */
    void applied(Entry e) {
        bytesSinceSnapshot += e.data().size() + ENTRY_FRAMING_BYTES;
    }

    /**
     * True if a snapshot should be taken now, at {@code applied}: once {@code snapshotEntries}
     * entries have been applied since the last one, or once the log since the last one holds
     * {@link #byteTrigger()} bytes. Entries alone do not bound the disk: a few thousand large
     * values can outgrow the live data many times over.
     */
    boolean due(long applied) {
        if (writing) return false;
        return applied - Math.max(lastIndex, lastAttempt) >= snapshotEntries || bytesSinceSnapshot >= byteTrigger();
    }

    /**
     * A quarter of the newest snapshot's size, and at least an eighth of a segment. A node keeps
     * the log of about two snapshot intervals (the segment a snapshot's start closes goes with the
     * next snapshot) and, while writing, two snapshots: with this trigger that is about 2.5 times
     * the live data, or twice the live data plus a quarter segment, which leaves room for the log
     * that arrives while a snapshot is being written under the bound of 3 times the live data plus
     * one segment. Writing snapshots then costs at most 4 times the bytes the log takes.
     */
    long byteTrigger() {
        return Math.max(snapshotBytes / 4, segmentBytes / 8);
    }

    /**
     * Log bytes still to come before the next snapshot starts (by the byte trigger): what the disk
     * must still take, besides that snapshot, before older segments can go.
     */
    long logBytesBeforeNextSnapshot() {
        return Math.max(0, byteTrigger() - bytesSinceSnapshot);
    }

    /**
     * Writes {@code view} in the background and reports to {@code done} (on the writer thread: it
     * must only enqueue). The log starts a new segment first, so that once the snapshot is
     * durable every segment before it can be deleted whole.
     */
    void write(SnapshotView view, Consumer<Written> done) {
        SnapshotMeta meta = new SnapshotMeta(view.index(), view.term());
        writing = true;
        lastAttempt = meta.index();
        bytesSinceSnapshot = 0;
        storage.cut();
        writer.execute(() -> {
            long start = System.nanoTime();
            try {
                SnapshotFiles.Stored stored = files.write(meta, view::writeTo);
                done.accept(new Written(meta, stored.bytes(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), null));
            } catch (IOException | RuntimeException | Error e) {
                done.accept(new Written(meta, 0, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), e));
            }
        });
    }

    /**
     * A background write ended. On success returns the index the core may compact its log to, so
     * that it keeps at most {@link #CATCH_UP_ENTRIES} entries (and never more than
     * {@code snapshotEntries}) and at most {@code catchUpBytes} bytes of them below the snapshot
     * (never below what {@code coreSnapshot} already covers), and deletes the log segments and
     * older snapshots the new one makes useless.
     *
     * @param entryBytes the data size of each entry the core holds above {@code coreSnapshot}
     */
    Optional<Long> written(Written w, long coreSnapshot, LongUnaryOperator entryBytes) {
        writing = false;
        if (w.failure() != null) {
            log.error("node {}: writing the snapshot at entry {} failed; the log keeps growing until one succeeds "
                    + "(next attempt after {} more entries)", id, w.meta().index(), snapshotEntries, w.failure());
            return Optional.empty();
        }
        log.info("node {}: snapshot at entry {} (term {}) written: {} bytes in {} ms", id, w.meta().index(),
                w.meta().term(), w.bytes(), w.millis());
        writeObserver.accept(w.millis());
        if (w.meta().index() > lastIndex) {
            lastIndex = w.meta().index();
            snapshotBytes = w.bytes();
        }
        storage.compact(w.meta().index());
        deleteOlderSnapshots();
        long compactTo = catchUpStart(w.meta().index(), coreSnapshot, entryBytes) - 1;
        return compactTo > coreSnapshot ? Optional.of(compactTo) : Optional.empty();
    }

    /** The lowest entry to keep below a snapshot at {@code index}: see {@link #written}. */
    private long catchUpStart(long index, long coreSnapshot, LongUnaryOperator entryBytes) {
        long maxEntries = Math.min(CATCH_UP_ENTRIES, snapshotEntries);
        long keepFrom = index + 1;
        long bytes = 0;
        while (keepFrom - 1 > coreSnapshot && index - (keepFrom - 1) < maxEntries) {
            long size = entryBytes.applyAsLong(keepFrom - 1) + ENTRY_FRAMING_BYTES;
            if (bytes + size > catchUpBytes) break;
            bytes += size;
            keepFrom--;
        }
        return keepFrom;
    }

    /**
     * Makes a snapshot the core accepted from its leader this node's state, durably and in the
     * order a crash cannot break: the hard state written before it (the leader's term) is synced
     * first, since a snapshot of a term must never be on disk without that term; then the file
     * becomes the newest snapshot; then the log restarts after it (a crash in between is finished
     * by the log's recovery, which sees the snapshot ahead of its entries); then older snapshots go.
     */
    void install(SnapshotMeta meta, Received received) {
        received.machine().limits(limits);
        storage.sync();
        try {
            snapshotBytes = files.adopt(meta, received.file()).bytes();
        } catch (IOException e) {
            throw new UncheckedIOException("node " + id + ": cannot keep the snapshot received for entry " + meta.index(), e);
        }
        storage.installSnapshot(meta);
        lastIndex = Math.max(lastIndex, meta.index());
        lastAttempt = Math.max(lastAttempt, meta.index());
        bytesSinceSnapshot = 0;
        deleteOlderSnapshots();
    }

    /** Deletes a received file the core did not install (stale, or already covered by the log). */
    static void discard(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("could not delete the unused snapshot file {}: {}", file, e.getMessage());
        }
    }

    private void deleteOlderSnapshots() {
        Optional<SnapshotFiles.Stored> newest = files.newest();
        if (newest.isEmpty()) return;
        try {
            files.deleteOlderThan(newest.get().meta());
        } catch (IOException e) {
            // Only disk space is at stake: the next snapshot tries again.
            log.warn("node {}: could not delete older snapshots: {}", id, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- SnapshotSource, for the transport

    @Override
    public Optional<Local> newest() {
        return files.newest().map(s -> new Local(s.meta(), s.file()));
    }

    @Override
    public Path newIncomingFile() throws IOException {
        return files.newIncomingFile();
    }

    /** Stops the writer; a write in flight finishes (its temporary file is cleaned at the next start if not). */
    @Override
    public void close() {
        if (ownWriter == null) return;
        ownWriter.shutdown();
        try {
            if (!ownWriter.awaitTermination(10, TimeUnit.SECONDS)) ownWriter.shutdownNow();
        } catch (InterruptedException e) {
            ownWriter.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
