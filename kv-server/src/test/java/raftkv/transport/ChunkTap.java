package raftkv.transport;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import raftkv.proto.raft.SnapshotChunk;

/**
 * Sits in front of a peer service and records every snapshot chunk it passes on; on request, breaks
 * one stream after a number of data chunks, as a dropped connection would: the client sees
 * UNAVAILABLE and the service sees its call cancelled.
 */
final class ChunkTap implements ServerInterceptor {
    /** One chunk that reached the service (or, with {@code broke}, the one that did not). */
    record Seen(int call, long offset, int dataBytes, boolean header, boolean done, boolean broke) {}

    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();
    // The data chunk at which the next stream with data breaks; 0: none.
    private final AtomicInteger breakAt = new AtomicInteger();

    /** The next stream to carry {@code n} data chunks is broken at its n-th, which the service never sees. */
    void breakNextStreamAt(int n) {
        breakAt.set(n);
    }

    List<Seen> ofCall(int call) {
        return seen.stream().filter(s -> s.call() == call).toList();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        int id = calls.incrementAndGet();
        AtomicBoolean broken = new AtomicBoolean();
        // Once broken, the service's own answer must not reach the closed call.
        ServerCall<Q, R> guarded = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override public void sendMessage(R message) {
                if (!broken.get()) super.sendMessage(message);
            }
            @Override public void close(Status status, Metadata trailers) {
                if (!broken.get()) super.close(status, trailers);
            }
        };
        ServerCall.Listener<Q> service = next.startCall(guarded, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(service) {
            private int dataChunks;

            @Override public void onMessage(Q message) {
                if (broken.get()) return;
                if (message instanceof SnapshotChunk c) {
                    if (!c.getData().isEmpty()) dataChunks++;
                    int at = breakAt.get();
                    boolean breakHere = at > 0 && dataChunks == at && breakAt.compareAndSet(at, 0);
                    seen.add(new Seen(id, c.getOffset(), c.getData().size(), c.hasHeader(), c.getDone(), breakHere));
                    if (breakHere) {
                        broken.set(true);
                        call.close(Status.UNAVAILABLE.withDescription("broken by the test"), new Metadata());
                        service.onCancel();
                        return;
                    }
                }
                super.onMessage(message);
            }
            @Override public void onHalfClose() {
                if (!broken.get()) super.onHalfClose();
            }
            @Override public void onCancel() {
                if (!broken.get()) super.onCancel();
            }
            @Override public void onComplete() {
                if (!broken.get()) super.onComplete();
            }
        };
    }
}
