package raftkv.transport;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.proto.raft.InstallSnapshotResponse;
import raftkv.proto.raft.SnapshotChunk;
import raftkv.proto.raft.SnapshotHeader;
import raftkv.raft.Message;

/**
 * The follower side of InstallSnapshot: writes the chunks of each stream to a file and, once the
 * whole snapshot has arrived with the right size and CRC-32C and is fsynced, hands the file to the
 * node through {@link Transport.Inbound#onSnapshot}.
 *
 * <p>Resuming (raft.proto): the bytes received from each leader are kept across streams as one
 * partial transfer, identified by the header's term, last included index and term, and total size.
 * A stream for another snapshot from the same leader discards it; a stream whose chunk does not
 * start exactly at what the partial holds is answered at once with success false and next_offset =
 * what it holds, and so is a stream that ends without its last chunk; a stream that breaks leaves
 * the partial for the next. Chunks past the total size, a last chunk short of it, or a CRC mismatch
 * discard the partial: success false, next_offset 0. At most one partial per leader exists; {@link
 * #close} deletes them all.
 *
 * <p>Threads: the server's handlers run on the network threads, which must never block, so each
 * stream's work runs on a {@link SerialExecutor} over the transport's I/O pool, and the stream asks
 * gRPC for one chunk at a time, the next only once the last is written: memory stays at a chunk or
 * two per stream.
 *
 * <p>Checked before a byte is written or a file made: the sender is a peer; the stream's term is
 * not below the highest term this node has seen (else it is answered at once with that term and
 * next_offset 0, so the deposed leader steps down); the announced size is at most
 * {@link #maxSnapshotBytes()} (the node's maximum heap: the store a snapshot holds must fit in
 * memory, so a larger one could never be installed) and at most the disk space left. A partial
 * transfer is deleted when its stream fails to write, when a stream of a newer term from another
 * leader begins, and at close; a stream that only breaks keeps it for the leader to resume.
 *
 * <p>Errors: INVALID_ARGUMENT for a stream that breaks the contract (no header first, a header
 * later, a malformed header, a leader that is not a peer, a size over the bound);
 * RESOURCE_EXHAUSTED when the disk cannot take the announced size; UNAVAILABLE while the node does not
 * serve, for a peer refused by the test partition hook, or when the node answers null; ABORTED for
 * a stream superseded by a newer one from the same leader; INTERNAL when the file cannot be written.
 */
final class SnapshotReceiver {
    private static final Logger log = LoggerFactory.getLogger(SnapshotReceiver.class);

    /** What identifies a partial transfer across streams. */
    private record Identity(long term, long index, long lastTerm, long totalSize) {}

    /** The bytes of one snapshot received so far from one leader. */
    private static final class Partial {
        final long leader;
        final Identity identity;
        final Path file;
        final FileChannel channel;
        // Guarded by this. Invariant: crc is the CRC-32C of the file's first held bytes; held <= totalSize.
        final CRC32C crc = new CRC32C();
        long held;
        // The stream allowed to write: the newest one that claimed the partial.
        Object owner;
        // Deleted, or handed to the node: the partial is no more. Set holding this; read by claim without it.
        volatile boolean gone;

        Partial(long leader, Identity identity, Path file) throws IOException {
            this.leader = leader;
            this.identity = identity;
            this.file = file;
            this.channel = FileChannel.open(file, StandardOpenOption.WRITE);
        }

        /** Closes the file; deletes it unless the node now owns it. Caller holds this. */
        void end(boolean delete) {
            gone = true;
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("closing {}: {}", file, e.toString());
            }
            if (!delete) return;
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("cannot delete the partial snapshot {}: {}", file, e.toString());
            }
        }
    }

    private final long selfId;
    private final Set<Long> peerIds;
    private final SnapshotSource source;
    private final Executor io;
    private final Supplier<Transport.Inbound> inbound;
    private final LongPredicate refused;
    private final ClusterGuard cluster;
    private final AtomicLong highestTerm;
    private final LogLimiter warnings = new LogLimiter(Duration.ofSeconds(30));
    // Guarded by this. At most one partial per leader.
    private final Map<Long, Partial> partials = new TreeMap<>();
    private boolean closed;

    /**
     * @param inbound the node, or null while it is not served
     * @param refused whether a peer's requests are refused (test partition hook)
     */
    SnapshotReceiver(long selfId, Set<Long> peerIds, SnapshotSource source, Executor io,
                     Supplier<Transport.Inbound> inbound, LongPredicate refused, ClusterGuard cluster,
                     AtomicLong highestTerm) {
        this.highestTerm = highestTerm;
        this.selfId = selfId;
        this.peerIds = peerIds; // may be a live view: members come and go
        this.source = source;
        this.io = io;
        this.inbound = inbound;
        this.refused = refused;
        this.cluster = cluster;
    }

    /** The largest snapshot this node accepts: its maximum heap, which must hold the store the snapshot carries. */
    static long maxSnapshotBytes() {
        return Runtime.getRuntime().maxMemory();
    }

    /** Serves one InstallSnapshot call. */
    StreamObserver<SnapshotChunk> open(ServerCallStreamObserver<InstallSnapshotResponse> call) {
        call.disableAutoRequest();
        Inflow inflow = new Inflow(call);
        call.setOnCancelHandler(() -> log.debug("InstallSnapshot stream cancelled by the caller"));
        call.request(1);
        return inflow;
    }

    /** Deletes every partial transfer; streams still running fail with UNAVAILABLE. */
    void close() {
        List<Partial> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(partials.values());
            partials.clear();
        }
        for (Partial p : all) {
            synchronized (p) {
                if (!p.gone) p.end(true);
            }
        }
    }

    /** The partial for {@code identity} from {@code leader}, now owned by {@code stream}; a new one if need be. */
    private Partial claim(long leader, Identity identity, Object stream) throws IOException {
        Partial stale = null;
        List<Partial> staleOthers = new ArrayList<>();
        Partial p;
        synchronized (this) {
            if (closed) throw new Refusal(Status.UNAVAILABLE.withDescription("node " + selfId + " is closing"));
            // A partial from another leader of an older term will never be resumed: its leader is deposed.
            for (var it = partials.entrySet().iterator(); it.hasNext(); ) {
                Partial other = it.next().getValue();
                if (other.leader != leader && other.identity.term() < identity.term()) {
                    it.remove();
                    staleOthers.add(other);
                }
            }
            p = partials.get(leader);
            if (p != null && (p.gone || !p.identity.equals(identity))) {
                if (!p.gone) stale = p;
                partials.remove(leader);
                p = null;
            }
            if (p == null) {
                Path file = source.newIncomingFile();
                try {
                    long usable = Files.getFileStore(file).getUsableSpace();
                    if (identity.totalSize() > usable) {
                        Files.deleteIfExists(file);
                        throw new Refusal(Status.RESOURCE_EXHAUSTED.withDescription("node " + selfId + " has " + usable
                                + " bytes of disk left, not enough for a snapshot of " + identity.totalSize()));
                    }
                    p = new Partial(leader, identity, file);
                } catch (IOException e) {
                    Files.deleteIfExists(file);
                    throw e;
                }
                partials.put(leader, p);
            }
        }
        for (Partial other : staleOthers) {
            synchronized (other) {
                log.debug("snapshot from node {}: dropping the partial of node {}, an older leader", leader, other.leader);
                if (!other.gone) other.end(true);
            }
        }
        if (stale != null) {
            synchronized (stale) {
                log.debug("snapshot from node {}: a new transfer replaces one of {} bytes", leader, stale.held);
                if (!stale.gone) stale.end(true);
            }
        }
        synchronized (p) {
            if (p.gone) return claim(leader, identity, stream); // ended between the two locks: no more in the map
            p.owner = stream;
        }
        return p;
    }

    /** Forgets {@code p}, which has ended; a later stream starts a new partial. */
    private synchronized void forget(Partial p) {
        partials.remove(p.leader, p);
    }

    /** A stream's end other than its answer: a gRPC status and why. */
    private static final class Refusal extends RuntimeException {
        final Status status;

        Refusal(Status status) {
            super(status.getDescription(), null, false, false);
            this.status = status;
        }
    }

    // ------------------------------------------------------------------ one stream

    /** One InstallSnapshot call; its callbacks only queue work on the stream's executor. */
    private final class Inflow implements StreamObserver<SnapshotChunk> {
        private final ServerCallStreamObserver<InstallSnapshotResponse> call;
        private final SerialExecutor serial = new SerialExecutor(io);
        private final AtomicBoolean answered = new AtomicBoolean();
        // Confined to serial. Null until the first chunk.
        private Message.SnapshotRequest request;
        private long totalSize;
        private Partial partial;
        // The last chunk has been checked: the snapshot went to the node, or was discarded.
        private boolean complete;

        Inflow(ServerCallStreamObserver<InstallSnapshotResponse> call) {
            this.call = call;
        }

        @Override
        public void onNext(SnapshotChunk chunk) {
            serial.execute(() -> receive(chunk));
        }

        @Override
        public void onError(Throwable t) {
            // Broken or cancelled: the partial stays for the next stream.
            serial.execute(() -> log.debug("snapshot stream from node {} broke: {}",
                    request == null ? "?" : request.from(), Status.fromThrowable(t)));
        }

        @Override
        public void onCompleted() {
            serial.execute(this::halfClosed);
        }

        private void receive(SnapshotChunk chunk) {
            if (answered.get() || complete) return;
            try {
                if (request == null) {
                    if (!begin(chunk)) return;
                } else if (chunk.hasHeader()) {
                    throw new IllegalArgumentException("SnapshotChunk.header: set in a chunk after the first");
                }
                if (refused.test(request.from())) {
                    throw new Refusal(Status.UNAVAILABLE.withDescription("node " + selfId + " refuses node "
                            + request.from() + ": blocked by the test fault hook"));
                }
                write(chunk);
            } catch (IllegalArgumentException e) {
                if (warnings.allow()) log.warn("InstallSnapshot refused: {}", e.getMessage());
                else log.debug("InstallSnapshot refused: {}", e.getMessage());
                fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
            } catch (Refusal e) {
                fail(e.status);
            } catch (IOException e) {
                log.warn("snapshot from node {}: cannot write it: {}", request == null ? "?" : request.from(), e.toString());
                // Likely a full disk: keep nothing, so the failure frees what the stream took.
                Partial p = partial;
                if (p != null) {
                    synchronized (p) {
                        if (!p.gone) p.end(true);
                    }
                    forget(p);
                }
                fail(Status.INTERNAL.withDescription("node " + selfId + " cannot store the snapshot: " + e));
            }
        }

        /** Checks the first chunk and claims the partial; false if the stream was answered instead. */
        private boolean begin(SnapshotChunk chunk) throws IOException {
            if (!chunk.hasHeader()) throw new IllegalArgumentException("SnapshotChunk.header: missing in the first chunk");
            SnapshotHeader header = chunk.getHeader();
            if (!cluster.admits(header.getClusterId(), "InstallSnapshot from", header.getLeaderId())) {
                throw new Refusal(Status.PERMISSION_DENIED.withDescription(cluster.refusal(header.getClusterId())));
            }
            Message.SnapshotRequest r = ProtoCodec.fromProto(chunk.getHeader(), selfId);
            // Any node id but our own: a leader may be a member this node has not heard of yet (a
            // node joining takes its membership from this very snapshot); the core judges the sender.
            if (r.from() == selfId) {
                throw new IllegalArgumentException("node " + r.from() + " is this node (peers " + peerIds + ")");
            }
            if (inbound.get() == null) {
                throw new Refusal(Status.UNAVAILABLE.withDescription("node " + selfId + " is not serving Raft yet or any more"));
            }
            request = r;
            totalSize = ProtoCodec.totalSize(chunk.getHeader());
            if (totalSize > maxSnapshotBytes()) {
                throw new IllegalArgumentException("SnapshotHeader.total_size: " + totalSize + " bytes is over the "
                        + maxSnapshotBytes() + " this node accepts (its maximum heap, which must hold the store)");
            }
            if (refused.test(r.from())) return true; // refused by the caller, before any file is made
            long known = highestTerm.get();
            if (r.term() < known) {
                log.debug("snapshot from node {} refused: its term {} is below term {}", r.from(), r.term(), known);
                complete = true;
                answer(ProtoCodec.snapshotProgress(known, 0));
                return false;
            }
            highestTerm.accumulateAndGet(r.term(), Math::max);
            partial = claim(r.from(), new Identity(r.term(), r.snapshot().index(), r.snapshot().term(), totalSize), this);
            return true;
        }

        private void write(SnapshotChunk chunk) throws IOException {
            long offset = ProtoCodec.offset(chunk);
            Partial p = partial;
            synchronized (p) {
                if (p.gone || p.owner != this) {
                    throw new Refusal(p.gone && closing()
                            ? Status.UNAVAILABLE.withDescription("node " + selfId + " is closing")
                            : Status.ABORTED.withDescription("superseded by a newer stream of the same snapshot"));
                }
                if (offset != p.held) {
                    answer(ProtoCodec.snapshotProgress(request.term(), p.held));
                    return;
                }
                long end = offset + chunk.getData().size();
                if (end > totalSize) {
                    discard(p, "chunk ends at " + end + ", past the total size " + totalSize);
                    return;
                }
                ByteBuffer data = chunk.getData().asReadOnlyByteBuffer();
                long position = offset;
                while (data.hasRemaining()) position += p.channel.write(data, position);
                p.crc.update(chunk.getData().asReadOnlyByteBuffer());
                p.held = end;
                if (!chunk.getDone()) {
                    call.request(1);
                    return;
                }
                complete = true;
                if (p.held != totalSize) {
                    discard(p, "last chunk ends at " + p.held + ", short of the total size " + totalSize);
                    return;
                }
                int crc = (int) p.crc.getValue();
                if (crc != chunk.getCrc32C()) {
                    discard(p, String.format("CRC-32C %08x, but the leader's is %08x", crc, chunk.getCrc32C()));
                    return;
                }
                p.channel.force(true);
                p.end(false);
            }
            forget(p);
            install(p.file);
        }

        private void halfClosed() {
            if (answered.get() || complete) return;
            if (request == null) {
                fail(Status.INVALID_ARGUMENT.withDescription("InstallSnapshot: a stream without chunks"));
                return;
            }
            Partial p = partial;
            synchronized (p) {
                if (p.gone || p.owner != this) {
                    fail(Status.ABORTED.withDescription("superseded by a newer stream of the same snapshot"));
                    return;
                }
                answer(ProtoCodec.snapshotProgress(request.term(), p.held));
            }
        }

        /** Deletes the partial after a failed check; the leader must start over. Caller holds p. */
        private void discard(Partial p, String why) {
            if (warnings.allow()) log.warn("snapshot from node {} discarded: {}", request.from(), why);
            else log.debug("snapshot from node {} discarded: {}", request.from(), why);
            p.end(true);
            forget(p);
            answer(ProtoCodec.snapshotProgress(request.term(), 0));
        }

        /** Hands the complete, durable file to the node and answers with its reply. */
        private void install(Path file) {
            Transport.Inbound in = inbound.get();
            if (in == null) {
                deleteQuietly(file);
                fail(Status.UNAVAILABLE.withDescription("node " + selfId + " is not serving Raft any more"));
                return;
            }
            log.info("snapshot up to index {} ({} bytes) received from node {}", request.snapshot().index(), totalSize,
                    request.from());
            AtomicBoolean replied = new AtomicBoolean();
            Consumer<Message> reply = response -> {
                if (!replied.compareAndSet(false, true)) {
                    throw new IllegalStateException("InstallSnapshot from node " + request.from() + " answered twice: " + response);
                }
                if (response == null) {
                    fail(Status.UNAVAILABLE.withDescription("node " + selfId + " did not take the snapshot"));
                    return;
                }
                if (!(response instanceof Message.SnapshotResponse r) || r.from() != selfId || r.to() != request.from()) {
                    fail(Status.INTERNAL.withDescription("node " + selfId + " gave a wrong answer"));
                    throw new IllegalArgumentException("the answer to " + request + " must be a SnapshotResponse from "
                            + selfId + " to " + request.from() + ", got " + response);
                }
                answer(ProtoCodec.toProto(r, totalSize));
            };
            try {
                in.onSnapshot(request, file, reply);
            } catch (RuntimeException e) {
                log.warn("snapshot from node {}: the node did not take it", request.from(), e);
                if (replied.compareAndSet(false, true)) {
                    deleteQuietly(file);
                    fail(Status.UNAVAILABLE.withDescription("node " + selfId + " did not take the snapshot"));
                }
            }
        }

        private void answer(InstallSnapshotResponse response) {
            if (!answered.compareAndSet(false, true)) return;
            try {
                if (call.isCancelled()) return;
                call.onNext(cluster.stamp(response));
                call.onCompleted();
            } catch (RuntimeException e) {
                log.debug("could not answer a snapshot stream whose caller has gone: {}", e.toString());
            }
        }

        private void fail(Status status) {
            if (!answered.compareAndSet(false, true)) return;
            try {
                if (!call.isCancelled()) call.onError(status.asRuntimeException());
            } catch (RuntimeException e) {
                log.debug("could not fail a snapshot stream whose caller has gone: {}", e.toString());
            }
        }
    }

    private synchronized boolean closing() {
        return closed;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot delete the received snapshot {}: {}", file, e.toString());
        }
    }
}
