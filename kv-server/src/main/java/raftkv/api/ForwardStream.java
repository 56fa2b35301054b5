package raftkv.api;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;
import raftkv.proto.forward.ForwardBatch;
import raftkv.proto.forward.ForwardReplies;
import raftkv.proto.forward.ForwardedCommand;
import raftkv.proto.forward.ForwardedReply;

/**
 * A follower's one Forward stream to one leader (forward.proto). Commands submitted while a batch
 * is being written, or while the transport is not ready, go together as the next batch. Each
 * command has its own deadline, after which it completes as {@code Unavailable("request timeout")};
 * a broken stream completes every command still waiting as Unavailable (outcome unknown) and takes
 * no more commands, so the forwarder opens a new one.
 */
final class ForwardStream implements ClientResponseObserver<ForwardBatch, ForwardReplies> {
    private final String leaderAddress;
    private final ScheduledExecutorService timeouts;
    // On the sender; the forwarder refusing it means it is closed.
    private final QueuedFlush queuedFlush;
    private final int maxMessageBytes;
    private final java.util.function.Consumer<Status> onBroken;
    // Guarded by this.
    private final Map<Long, Waiting> waiting = new HashMap<>();
    private final ArrayDeque<ForwardedCommand> unsent = new ArrayDeque<>();
    private long nextCallId = 1;
    private boolean sending;
    private boolean broken;
    private KvResult brokenResult;
    // Set by beforeStart, and published as requests once the call has started.
    private ClientCallStreamObserver<ForwardBatch> starting;
    private ClientCallStreamObserver<ForwardBatch> requests;
    // Only for tests: messages sent.
    private long batchesSent;

    private record Waiting(CompletableFuture<KvResult> result, ScheduledFuture<?> timeout) {}

    /** @param onBroken told once, with the status, when the stream breaks or ends */
    ForwardStream(String leaderAddress, ScheduledExecutorService timeouts, java.util.concurrent.Executor sender,
                  int maxMessageBytes,
                  java.util.function.Consumer<Status> onBroken) {
        this.leaderAddress = leaderAddress;
        this.timeouts = timeouts;
        this.queuedFlush = new QueuedFlush(sender, this::flush, this::close);
        this.maxMessageBytes = maxMessageBytes;
        this.onBroken = onBroken;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ForwardBatch> requestStream) {
        starting = requestStream;
        requestStream.setOnReadyHandler(this::flush);
    }

    /** The call has started (its stream may be asked whether it is ready): send what waits. */
    void started() {
        synchronized (this) {
            requests = starting;
        }
        queueFlush();
    }

    /**
     * Sends {@code request}, to be answered within {@code timeoutNanos}.
     *
     * @return the result; Unavailable at once if the stream is broken (it may have broken as it
     *         opened: the leader is unreachable), as a unary call to an unreachable leader fails
     */
    CompletableFuture<KvResult> submit(KvRequest request, long timeoutNanos) {
        CompletableFuture<KvResult> result = new CompletableFuture<>();
        synchronized (this) {
            if (broken) return CompletableFuture.completedFuture(brokenResult);
            long callId = nextCallId++;
            ScheduledFuture<?> timeout = timeouts.schedule(() -> expire(callId), timeoutNanos, TimeUnit.NANOSECONDS);
            waiting.put(callId, new Waiting(result, timeout));
            unsent.addLast(ForwardCodec.encode(callId, request, Math.max(1, TimeUnit.NANOSECONDS.toMicros(timeoutNanos))));
        }
        queueFlush();
        return result;
    }

    private void expire(long callId) {
        Waiting w;
        synchronized (this) {
            w = waiting.remove(callId);
        }
        if (w != null) w.result.complete(new KvResult.Unavailable("request timeout", leaderAddress));
    }

    /** Sends on the sender thread: commands submitted until it runs go in the same message. */
    private void queueFlush() {
        queuedFlush.request();
    }

    /** Sends the unsent commands, as many per message as fit, while the transport takes them. */
    void flush() {
        while (true) {
            ForwardBatch batch;
            synchronized (this) {
                if (sending || broken || unsent.isEmpty() || requests == null || !requests.isReady()) return;
                sending = true;
                batch = take();
                batchesSent++;
            }
            try {
                requests.onNext(batch);
            } finally {
                synchronized (this) {
                    sending = false;
                }
            }
        }
    }

    /** The unsent commands that fit in one message (always at least one). Caller holds the lock. */
    private ForwardBatch take() {
        return ForwardBatch.newBuilder().addAllCommands(ForwardCodec.takeFitting(unsent, maxMessageBytes)).build();
    }

    @Override
    public void onNext(ForwardReplies replies) {
        for (ForwardedReply reply : replies.getRepliesList()) {
            Waiting w;
            synchronized (this) {
                w = waiting.remove(reply.getCallId());
            }
            if (w == null) continue; // expired meanwhile
            w.timeout.cancel(false);
            w.result.complete(ForwardCodec.decode(reply));
        }
    }

    @Override
    public void onError(Throwable t) {
        broke(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        broke(Status.UNAVAILABLE.withDescription("the leader ended the forwarding stream"));
    }

    /** Fails every waiting command: whether the leader executed it is unknown. */
    private void broke(Status status) {
        List<Waiting> failed;
        synchronized (this) {
            if (broken) return;
            broken = true;
            brokenResult = GrpcResults.fromStatus(status, null);
            failed = List.copyOf(waiting.values());
            waiting.clear();
            unsent.clear();
        }
        onBroken.accept(status);
        for (Waiting w : failed) {
            w.timeout.cancel(false);
            w.result.complete(brokenResult);
        }
    }

    /** Ends the stream; commands still waiting fail as Unavailable. */
    void close() {
        ClientCallStreamObserver<ForwardBatch> r;
        synchronized (this) {
            r = requests;
        }
        if (r != null) r.cancel("forwarder closed", null);
        broke(Status.UNAVAILABLE.withDescription("forwarder closed"));
    }

    synchronized long batchesSent() {
        return batchesSent;
    }
}
