package raftkv.transport;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.proto.raft.InstallSnapshotResponse;
import raftkv.proto.raft.SnapshotChunk;
import raftkv.proto.raft.SnapshotHeader;
import raftkv.raft.Message;

/**
 * One InstallSnapshot transfer to one peer: ships the newest local snapshot at or past the index
 * the core asked for, over as many streams as it takes, and hands the follower's final answer to
 * the node.
 *
 * <p>Streams (raft.proto, InstallSnapshot): each opens with a chunk that carries only the header.
 * The first stream of a transfer, and the first after a broken one, is a probe: that chunk at
 * offset 0, then half-close; the follower answers with how many bytes of this snapshot it already
 * holds, and a data stream sends the rest from there, the CRC-32C of the whole file on its last
 * chunk. A data stream the follower answers without success (it held something else, or a check
 * failed) is resumed from its next_offset, at most {@link #MAX_RESUMES} times. A stream that breaks
 * (peer down or restarting) is followed by a probe after a short backoff, at most {@link
 * #MAX_RETRIES} times. A stream that is not ready for a chunk, or a probe not answered, within the
 * stall timeout is cancelled and the transfer given up, as it is past the overall deadline.
 * Giving up delivers nothing: the core probes the follower again after its own timeout and asks
 * for a snapshot anew.
 *
 * <p>Memory: a chunk is read from the file only when gRPC says the stream is ready, so a transfer
 * holds a chunk or two at a time. Threads: everything runs on a {@link SerialExecutor} over the
 * transport's I/O pool (reads block), so a transfer's state is touched by one thread at a time and
 * no thread is kept per peer; gRPC's callbacks only queue work there.
 */
final class SnapshotSender {
    private static final Logger log = LoggerFactory.getLogger(SnapshotSender.class);
    private static final String RPC = "InstallSnapshot";

    /** Data streams answered without success, after the first, before the transfer is given up. */
    static final int MAX_RESUMES = 10;
    /** Broken streams retried (with a probe) before the transfer is given up. */
    static final int MAX_RETRIES = 3;
    /** The wait before the first retry; it doubles with each one. */
    static final Duration RETRY_BACKOFF = Duration.ofMillis(200);

    /**
     * What every transfer of one transport shares.
     *
     * @param voters    this node and its peers, ascending: the header's voters
     * @param chunkBytes most data bytes per chunk, within the channel's message limit
     * @param io        the transport's pool for file reads and timers
     * @param deliver   where the follower's final answer goes (the node's inbound); must not block
     * @param blocked   whether requests to a peer are dropped (test partition hook)
     * @param closed    whether the transport is closing
     * @param warnings  rate-limits the WARNs of failed transfers
     */
    record Env(long selfId, List<Long> voters, SnapshotSource source, int chunkBytes, GrpcTransport.Options options,
               ScheduledExecutorService io, Consumer<Message> deliver, LongPredicate blocked, BooleanSupplier closed,
               LogLimiter warnings, ClusterGuard cluster) {}

    private final Env env;
    private final PeerLink link;
    private final Message.SnapshotRequest request;
    private final Consumer<SnapshotSender> onEnd;
    private final SerialExecutor serial;

    // Confined to serial. Invariant: crc is the CRC-32C of the file's bytes [0, crcEnd).
    private final CRC32C crc = new CRC32C();
    private long crcEnd;
    private FileChannel file;
    private SnapshotHeader header;
    private long totalSize;
    private Deadline deadline;
    private long startNanos;
    private Stream current;
    private int resumes;
    private int retries;
    // Set once, when the transfer finishes or is given up; nothing is sent after it.
    private boolean ended;

    /** @param onEnd called once with this transfer, on its thread, when it ends: frees the peer's slot */
    SnapshotSender(Env env, PeerLink link, Message.SnapshotRequest request, Consumer<SnapshotSender> onEnd) {
        this.env = env;
        this.link = link;
        this.request = request;
        this.onEnd = onEnd;
        this.serial = new SerialExecutor(env.io());
    }

    void start() {
        serial.execute(this::begin);
    }

    /** Ends the transfer without a word to the node; for the transport's close. */
    void abort() {
        serial.execute(() -> giveUp("the transport is closing", false));
    }

    private void begin() {
        try {
            Optional<SnapshotSource.Local> newest = env.source().newest();
            long wanted = request.snapshot().index();
            if (newest.isEmpty() || newest.get().meta().index() < wanted) {
                String why = "no local snapshot reaches index " + wanted + " (newest: "
                        + newest.map(l -> "index " + l.meta().index()).orElse("none") + ")";
                link.drop(RPC, why);
                warn("cannot send a snapshot to peer {}: {}", why);
                end();
                return;
            }
            SnapshotSource.Local local = newest.get();
            file = FileChannel.open(local.file(), StandardOpenOption.READ);
            totalSize = file.size();
            header = env.cluster().stamp(ProtoCodec.snapshotHeader(request, local.meta(), env.voters(), totalSize));
            log.info("sending the snapshot up to index {} (term {}, {} bytes, {}) to peer {}", local.meta().index(),
                    local.meta().term(), totalSize, local.file(), link.peerId);
        } catch (IOException | RuntimeException e) {
            giveUp("cannot open the snapshot: " + e, true);
            return;
        }
        deadline = Deadline.after(env.options().snapshotDeadline().toNanos(), TimeUnit.NANOSECONDS);
        startNanos = System.nanoTime();
        openStream(0, true);
    }

    // ------------------------------------------------------------------ streams

    /** One InstallSnapshot call; its callbacks only queue work on the transfer's executor. */
    private final class Stream implements ClientResponseObserver<SnapshotChunk, InstallSnapshotResponse> {
        final boolean probe;
        // Confined to serial, like the transfer. next: the offset of the next chunk's data.
        long next;
        ClientCallStreamObserver<SnapshotChunk> out;
        boolean headerSent;
        boolean halfClosed;
        boolean over;
        long lastProgressNanos = System.nanoTime();
        // Set on a network thread before onCompleted queues the task that reads it.
        private volatile InstallSnapshotResponse answer;

        Stream(long offset, boolean probe) {
            this.next = offset;
            this.probe = probe;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<SnapshotChunk> requests) {
            out = requests;
            requests.setOnReadyHandler(() -> serial.execute(() -> pump(this)));
        }

        @Override
        public void onNext(InstallSnapshotResponse value) {
            answer = value;
        }

        @Override
        public void onError(Throwable t) {
            Status status = PeerLink.statusOf(t);
            serial.execute(() -> failed(this, status));
        }

        @Override
        public void onCompleted() {
            InstallSnapshotResponse value = answer;
            serial.execute(() -> answered(this, value));
        }
    }

    private void openStream(long offset, boolean probe) {
        if (ended) return;
        if (env.closed().getAsBoolean()) {
            giveUp("the transport is closing", false);
            return;
        }
        if (env.blocked().test(link.peerId)) {
            link.drop(RPC, "blocked by the test fault hook");
            giveUp("blocked by the test fault hook", false);
            return;
        }
        if (deadline.isExpired()) {
            giveUp("past its deadline of " + env.options().snapshotDeadline(), true);
            return;
        }
        Stream s = new Stream(offset, probe);
        current = s;
        try {
            link.startStream().withDeadline(deadline).installSnapshot(s);
        } catch (RuntimeException e) {
            failed(s, PeerLink.statusOf(e));
            return;
        }
        scheduleStallCheck(s, env.options().snapshotStallTimeout().toNanos());
    }

    /** Sends chunks while the stream takes them; called whenever gRPC says it is ready. */
    private void pump(Stream s) {
        if (s != current || s.over || s.halfClosed || ended) return;
        try {
            while (!s.halfClosed && s.out.isReady()) {
                SnapshotChunk chunk = nextChunk(s);
                s.out.onNext(chunk);
                s.lastProgressNanos = System.nanoTime();
                if (chunk.getDone() || s.probe) {
                    s.out.onCompleted();
                    s.halfClosed = true;
                }
            }
        } catch (IOException e) {
            giveUp("cannot read the snapshot: " + e, true);
        }
    }

    private SnapshotChunk nextChunk(Stream s) throws IOException {
        SnapshotChunk.Builder chunk = SnapshotChunk.newBuilder().setOffset(s.next);
        if (!s.headerSent) {
            s.headerSent = true;
            chunk.setHeader(header);
        } else {
            int n = (int) Math.min(env.chunkBytes(), totalSize - s.next);
            chunk.setData(UnsafeByteOperations.unsafeWrap(read(s.next, n)));
            s.next += n;
            link.countSnapshotBytes(n);
        }
        if (!s.probe && s.next == totalSize) chunk.setDone(true).setCrc32C(crcOfAll());
        return chunk.build();
    }

    private void failed(Stream s, Status status) {
        if (s != current || s.over) return;
        s.over = true;
        link.streamEnded(RPC, status);
        if (ended) return;
        boolean retryable = switch (status.getCode()) {
            case UNAVAILABLE, CANCELLED, ABORTED -> true;
            default -> false;
        };
        String why = status.getCode() + (status.getDescription() == null ? "" : " " + status.getDescription());
        if (!retryable || retries >= MAX_RETRIES) {
            giveUp("the stream failed: " + why + (retryable ? " (" + retries + " retries)" : ""), true);
            return;
        }
        retries++;
        long backoff = RETRY_BACKOFF.toNanos() << (retries - 1);
        log.debug("snapshot stream to peer {} failed ({}); retry {} in {} ms", link.peerId, why, retries,
                TimeUnit.NANOSECONDS.toMillis(backoff));
        schedule(() -> openStream(0, true), backoff);
    }

    private void answered(Stream s, InstallSnapshotResponse answer) {
        if (s != current || s.over) return;
        s.over = true;
        link.streamEnded(RPC, Status.OK);
        if (ended) return;
        if (answer == null) {
            giveUp("the peer ended a stream without an answer", true);
            return;
        }
        if (!env.cluster().admits(answer.getClusterId(), "the answer to InstallSnapshot from", link.peerId)) {
            giveUp("the answer carries another cluster's id", true);
            return;
        }
        Message.SnapshotResponse response;
        long next;
        try {
            response = ProtoCodec.fromProto(answer, link.peerId, env.selfId());
            next = ProtoCodec.nextOffset(answer);
        } catch (IllegalArgumentException e) {
            giveUp("malformed answer: " + e.getMessage(), true);
            return;
        }
        if (answer.getSuccess() || response.term() > request.term()) {
            finish(response, answer.getSuccess());
        } else if (next > totalSize) {
            giveUp("the peer holds " + next + " bytes of a " + totalSize + "-byte snapshot", true);
        } else if (!s.probe && ++resumes > MAX_RESUMES) {
            giveUp("still incomplete after " + MAX_RESUMES + " resumed streams", true);
        } else {
            log.debug("snapshot to peer {}: it holds {} of {} bytes; sending from there", link.peerId, next, totalSize);
            openStream(next, false);
        }
    }

    // ------------------------------------------------------------------ stalls

    private void scheduleStallCheck(Stream s, long delayNanos) {
        schedule(() -> checkStall(s), delayNanos);
    }

    /**
     * Cancels a stream that has not taken a chunk for the stall timeout, and a probe not answered
     * within it. A data stream that sent its last chunk waits for the answer until the deadline:
     * the follower's node is installing the snapshot.
     */
    private void checkStall(Stream s) {
        if (s != current || s.over || ended || (s.halfClosed && !s.probe)) return;
        long limit = env.options().snapshotStallTimeout().toNanos();
        long idle = System.nanoTime() - s.lastProgressNanos;
        if (idle < limit) {
            scheduleStallCheck(s, limit - idle);
            return;
        }
        giveUp("no progress for " + env.options().snapshotStallTimeout(), true);
    }

    private void schedule(Runnable task, long delayNanos) {
        try {
            env.io().schedule(() -> serial.execute(task), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            giveUp("the transport is closing", false); // close has queued an abort too; the first one ends it
        }
    }

    // ------------------------------------------------------------------ the file

    /** Reads {@code n} bytes at {@code offset} and extends the CRC over them. */
    private byte[] read(long offset, int n) throws IOException {
        if (offset > crcEnd) extendCrc(offset);
        byte[] data = new byte[n];
        readFully(ByteBuffer.wrap(data), offset);
        if (offset + n > crcEnd) {
            int from = (int) (crcEnd - offset);
            crc.update(data, from, n - from);
            crcEnd = offset + n;
        }
        return data;
    }

    /** The CRC of the whole file; reads what a resumed transfer skipped over. */
    private int crcOfAll() throws IOException {
        extendCrc(totalSize);
        return (int) crc.getValue();
    }

    private void extendCrc(long to) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(env.chunkBytes(), to - crcEnd));
        while (crcEnd < to) {
            int n = (int) Math.min(buffer.capacity(), to - crcEnd);
            buffer.clear().limit(n);
            readFully(buffer, crcEnd);
            crc.update(buffer.flip());
            crcEnd += n;
        }
    }

    /** Fills {@code buffer} from the file, starting at {@code position}. */
    private void readFully(ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = file.read(buffer, position);
            if (n < 0) throw new EOFException("the snapshot file is shorter than its " + totalSize + " bytes");
            position += n;
        }
    }

    // ------------------------------------------------------------------ endings

    private void finish(Message.SnapshotResponse response, boolean success) {
        end();
        if (success) {
            long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
            log.info("peer {} installed the snapshot up to index {} (match index {}): {} bytes sent and installed in {} ms",
                    link.peerId, header.getLastIncludedIndex(), response.matchIndex(), totalSize, millis);
        } else {
            log.info("peer {} refused the snapshot: its term {} is above ours, {}", link.peerId, response.term(),
                    request.term());
        }
        try {
            env.deliver().accept(response);
        } catch (RuntimeException e) {
            // The node's inbound must only enqueue; a failure there is its bug, reported here.
            warn("the node refused the answer to a snapshot from peer {}: {}", e.toString());
        }
    }

    /** Cancels the stream in progress, if any, and ends the transfer; nothing reaches the node. */
    private void giveUp(String why, boolean warn) {
        if (ended) return;
        Stream s = current;
        if (s != null && !s.over && s.out != null) s.out.cancel("snapshot transfer given up: " + why, null);
        end();
        if (warn) warn("snapshot transfer to peer {} given up: {}", why);
        else log.debug("snapshot transfer to peer {} given up: {}", link.peerId, why);
    }

    private void end() {
        if (ended) return;
        ended = true;
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                log.debug("closing the snapshot sent to peer {}: {}", link.peerId, e.toString());
            }
        }
        onEnd.accept(this);
    }

    private void warn(String format, String detail) {
        if (env.warnings().allow()) log.warn(format, link.peerId, detail);
        else log.debug(format, link.peerId, detail);
    }
}
