package raftkv.api;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.kv.SnapshotView;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;
import raftkv.node.KvService;
import raftkv.node.RaftNode;
import raftkv.raft.Role;
import raftkv.proto.kv.SnapshotData;

/**
 * kv.proto SaveSnapshot: a consistent snapshot of the whole store, streamed to a client for a
 * backup. Only the leader serves it; a follower, which could confirm the read below through its leader,
 * answers with the leader's address instead, as kvctl expects. A linearizable read, executed here and never forwarded
 * (ReadIndex: leadership confirmed by a quorum, then the state machine applied up to the commit
 * index the read saw), is followed by an O(1) capture of the state machine on the node thread;
 * its applied index is at least that read's, so the snapshot holds every write acknowledged
 * before the call began. The captured view is immutable: a thread of its own writes it in the
 * snapshot file format (internal.proto) into 256 KiB messages, as fast as the client takes
 * them (gRPC flow control), while the node goes on serving.
 */
final class SnapshotStreamer {
    private static final Logger log = LoggerFactory.getLogger(SnapshotStreamer.class);
    static final int CHUNK_BYTES = 256 * 1024;
    // Snapshots streamed at once: each holds a view of the store alive (memory) and a thread.
    private static final int MAX_CONCURRENT = 2;
    // A client that takes nothing for this long is dropped, so that its view is freed.
    private static final long STALL_MILLIS = 60_000;
    // Read to confirm leadership; any valid key will do, whether it exists or not.
    private static final KvRequest PROBE = new KvRequest.Get(ByteString.copyFromUtf8("raftkv-snapshot-probe"));

    private final KvService service;
    private final RaftNode node;
    private final long nodeId;
    private final Semaphore slots = new Semaphore(MAX_CONCURRENT);

    SnapshotStreamer(KvService service, RaftNode node, long nodeId) {
        this.service = service;
        this.node = node;
        this.nodeId = nodeId;
    }

    void save(StreamObserver<SnapshotData> out) {
        ServerCallStreamObserver<SnapshotData> call = (ServerCallStreamObserver<SnapshotData>) out;
        if (!slots.tryAcquire()) {
            out.onError(Status.RESOURCE_EXHAUSTED.withDescription(MAX_CONCURRENT
                    + " snapshots are being sent already; try again later").asRuntimeException());
            return;
        }
        FlowControl flow = new FlowControl(call);
        // Both handlers must be set before this method returns (gRPC's rule).
        call.setOnReadyHandler(flow::signal);
        call.setOnCancelHandler(flow::cancel);
        node.status().whenComplete((status, failure) -> {
            if (failure == null && status.raft().role() != Role.LEADER) {
                slots.release();
                out.onError(GrpcResults.toStatus(service.notTheLeader(status.raft().leader())));
            } else {
                probeAndCapture(out, call, flow);
            }
        });
    }

    private void probeAndCapture(StreamObserver<SnapshotData> out, ServerCallStreamObserver<SnapshotData> call, FlowControl flow) {
        service.execute(PROBE, false).whenComplete((result, error) -> {
            if (error != null || !(result instanceof KvResult.Found || result instanceof KvResult.NotFound)) {
                slots.release();
                KvResult r = error != null ? new KvResult.Internal(error.toString()) : result;
                out.onError(GrpcResults.toStatus(r));
                return;
            }
            node.captureSnapshotView().whenComplete((view, failure) -> {
                if (failure != null) {
                    slots.release();
                    out.onError(GrpcResults.toStatus(new KvResult.Unavailable("node " + nodeId + ": " + failure.getMessage(), null)));
                    return;
                }
                Thread t = new Thread(() -> stream(view, call, flow), "kv-snapshot-save-" + nodeId);
                t.setDaemon(true);
                t.start();
            });
        });
    }

    private void stream(SnapshotView view, ServerCallStreamObserver<SnapshotData> call, FlowControl flow) {
        long start = System.nanoTime();
        Chunks chunks = new Chunks(call, flow);
        try {
            view.writeTo(chunks);
            chunks.close();
            call.onCompleted();
            log.info("node {}: sent a snapshot at entry {} (term {}, {} keys) to a client: {} bytes in {} ms", nodeId,
                    view.index(), view.term(), view.keyCount(), chunks.sent, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (IOException | RuntimeException e) {
            log.warn("node {}: sending a snapshot to a client failed: {}", nodeId, e.toString());
            if (!flow.cancelled()) {
                try {
                    call.onError(Status.UNAVAILABLE.withDescription("snapshot stream failed: " + e.getMessage()).asRuntimeException());
                } catch (RuntimeException ignored) {
                    // the call is already closed
                }
            }
        } finally {
            slots.release();
        }
    }

    /** Waits for the client to take more, or for the call to end. */
    private static final class FlowControl {
        private final ServerCallStreamObserver<?> call;
        private boolean cancelled;

        FlowControl(ServerCallStreamObserver<?> call) {
            this.call = call;
        }

        synchronized void signal() {
            notifyAll();
        }

        synchronized void cancel() {
            cancelled = true;
            notifyAll();
        }

        synchronized boolean cancelled() {
            return cancelled;
        }

        synchronized void awaitReady() throws IOException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS);
            while (!call.isReady()) {
                if (cancelled) throw new IOException("the client cancelled the call");
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new IOException("the client took nothing for " + STALL_MILLIS + " ms");
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted");
                }
            }
            if (cancelled) throw new IOException("the client cancelled the call");
        }
    }

    /** An output stream that sends what is written as messages of up to {@link #CHUNK_BYTES}. */
    private static final class Chunks extends OutputStream {
        private final ServerCallStreamObserver<SnapshotData> call;
        private final FlowControl flow;
        private final byte[] buffer = new byte[CHUNK_BYTES];
        private int filled;
        private long sent;

        Chunks(ServerCallStreamObserver<SnapshotData> call, FlowControl flow) {
            this.call = call;
            this.flow = flow;
        }

        @Override
        public void write(int b) throws IOException {
            if (filled == buffer.length) send();
            buffer[filled++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (filled == buffer.length) send();
                int n = Math.min(len, buffer.length - filled);
                System.arraycopy(b, off, buffer, filled, n);
                filled += n;
                off += n;
                len -= n;
            }
        }

        /** Sends what is buffered; the snapshot writer's flushes do not cut messages short. */
        @Override
        public void close() throws IOException {
            if (filled > 0) send();
        }

        private void send() throws IOException {
            flow.awaitReady();
            call.onNext(SnapshotData.newBuilder().setData(ByteString.copyFrom(buffer, 0, filled)).build());
            sent += filled;
            filled = 0;
        }
    }
}
