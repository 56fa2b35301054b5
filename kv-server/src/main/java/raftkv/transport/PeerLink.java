package raftkv.transport;

import io.grpc.ConnectivityState;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.proto.raft.PeerMessage;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.proto.raft.RaftPeerGrpc.RaftPeerStub;
import raftkv.raft.Message;

/**
 * One peer as seen by the sender: a long-lived channel, the {@link PeerExchange} stream on it (if
 * the transport uses streams and the peer serves them), the bound on calls in flight to it, its
 * counters and whether it is reachable. Sends never block: over the bound a message is dropped,
 * and every call and stream ends through gRPC's callbacks, which run on the network threads (or,
 * for a call that fails at once, on the sender's) and only count, log and hand the answer to the
 * node. A stream counts as reachable once the peer said it serves it, and each message sent on it
 * counts as sent; each answer as answered.
 */
final class PeerLink {
    private static final Logger log = LoggerFactory.getLogger(PeerLink.class);

    /** Starts one call on a stub: {@code RaftPeerStub::requestVote} and its siblings. */
    interface StubCall<Q, R> {
        void start(RaftPeerStub stub, Q request, StreamObserver<R> observer);
    }

    // gRPC backs off exponentially (up to 2 min) between attempts to reach a dead peer. A Raft
    // peer that restarts must be reached again within about an election timeout, so while the
    // channel is failing, a send at most this often cuts the backoff short.
    static final Duration RECONNECT_INTERVAL = Duration.ofSeconds(1);
    private static final Duration WARN_INTERVAL = Duration.ofSeconds(30);

    final long peerId;
    final String target;
    private final ManagedChannel channel;
    private final RaftPeerStub stub;
    private final GrpcTransport.Options options;
    private final Consumer<Message> deliver;
    // Null when the link sends unary calls only.
    private final PeerExchange exchange;
    private final Function<PeerMessage, Message> exchangeAnswers;
    // Set for good once the peer answers the stream UNIMPLEMENTED.
    private volatile boolean exchangeUnsupported;

    // Guarded by this. Invariant: 0 <= outstandingCalls <= maxOutstandingCalls, and
    // outstandingBytes <= maxOutstandingBytes unless a single call is outstanding.
    private int outstandingCalls;
    private long outstandingBytes;
    // Guarded by this. Null until the first call ends.
    private Boolean reachable;
    // Guarded by this. True from a WARN that the peer is unreachable until the WARN that it is back.
    private boolean warnedUnreachable;
    private long lastBackoffResetNanos = System.nanoTime() - RECONNECT_INTERVAL.toNanos();

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong snapshotBytesSent = new AtomicLong();
    private final AtomicLong messageBytesSent = new AtomicLong();
    private volatile Status.Code lastFailure;
    // Set by the transport's close: calls failing from then on are expected, not news.
    private volatile boolean closing;
    private final LogLimiter unreachableWarnings = new LogLimiter(WARN_INTERVAL);
    private final LogLimiter errorWarnings = new LogLimiter(WARN_INTERVAL);

    /**
     * @param target  "host:port" of the peer's LogPort
     * @param deliver where decoded answers go (the transport's inbound); must not block
     */
    PeerLink(long peerId, String target, int maxMessageBytes, GrpcTransport.Options options, Consumer<Message> deliver) {
        this(peerId, target, maxMessageBytes, options, deliver, InsecureChannelCredentials.create());
    }

    /**
     * @param credentials plaintext, or TLS with this node's certificate; with TLS the peer's
     *                    certificate is checked against the CA and the host name of {@code target}
     */
    PeerLink(long peerId, String target, int maxMessageBytes, GrpcTransport.Options options, Consumer<Message> deliver,
             ChannelCredentials credentials) {
        this(peerId, target, maxMessageBytes, options, deliver, credentials, null);
    }

    /**
     * @param exchangeAnswers decodes an answer on the Exchange stream (null to drop it: another
     *                        cluster's, say); null to send unary calls only
     */
    PeerLink(long peerId, String target, int maxMessageBytes, GrpcTransport.Options options, Consumer<Message> deliver,
             ChannelCredentials credentials, Function<PeerMessage, Message> exchangeAnswers) {
        this.peerId = peerId;
        this.target = target;
        this.options = options;
        this.deliver = deliver;
        this.channel = NetLoops.channel(NettyChannelBuilder.forTarget("dns:///" + target, credentials))
                // Callbacks only count and enqueue, so they run on the network threads, in order.
                .directExecutor()
                .maxInboundMessageSize(maxMessageBytes)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true)
                // Raft retries on its own; gRPC's retries would only buffer copies of large appends.
                .disableRetry()
                .build();
        this.stub = RaftPeerGrpc.newStub(channel).withMaxOutboundMessageSize(maxMessageBytes);
        this.exchangeAnswers = exchangeAnswers;
        this.exchange = exchangeAnswers == null ? null : new PeerExchange(
                stub.withOnReadyThreshold((int) Math.min(Integer.MAX_VALUE, options.maxOutstandingBytes())),
                new ExchangeListener());
    }

    /** True if messages to this peer go on its Exchange stream: the link has one, and the peer serves it. */
    boolean exchanges() {
        return exchange != null && !exchangeUnsupported;
    }

    /**
     * Sends {@code message} on the Exchange stream, or drops it (counted) while the stream cannot take
     * it (see {@link PeerExchange#send}). Only when {@link #exchanges}.
     */
    void exchange(String what, PeerMessage message) {
        maybeCutReconnectBackoff();
        if (!exchange.send(message)) {
            drop(what, "the Exchange stream holds " + options.maxOutstandingBytes() + " bytes waiting, or "
                    + PeerExchange.MAX_BEFORE_SERVED + " messages before the peer served it");
            return;
        }
        sent.incrementAndGet();
        messageBytesSent.addAndGet(message.getSerializedSize());
    }

    /** The Exchange stream's answers and end, on the network threads. */
    private final class ExchangeListener implements PeerExchange.Listener {
        @Override
        public void served() {
            onReachable();
        }

        @Override
        public void answer(PeerMessage message) {
            onAnswer("Exchange", message, exchangeAnswers);
        }

        @Override
        public void ended(Status status) {
            if (status.getCode() == Status.Code.UNIMPLEMENTED) {
                // An older node: unary calls from now on, for as long as this link lives.
                exchangeUnsupported = true;
                log.info("peer {} at {} does not serve the Exchange stream; sending it unary calls", peerId, target);
                return;
            }
            if (status.isOk()) {
                log.debug("peer {} ended the Exchange stream", peerId);
                return;
            }
            onFailure("Exchange", status);
        }
    }

    /**
     * Starts {@code rpc} unless the peer already has too much in flight; the decoded answer goes
     * to {@code deliver} unless {@code decode} returns null (TimeoutNow has no answer for the core).
     */
    <Q extends com.google.protobuf.Message, R> void call(String rpc, Q request, Duration deadline,
                                                          StubCall<Q, R> start, Function<R, Message> decode) {
        long bytes = request.getSerializedSize();
        if (!tryAcquire(bytes)) {
            drop(rpc, "over the bound of " + options.maxOutstandingCalls() + " calls or "
                    + options.maxOutstandingBytes() + " bytes in flight");
            return;
        }
        sent.incrementAndGet();
        messageBytesSent.addAndGet(bytes);
        maybeCutReconnectBackoff();
        // Ends the call exactly once: gRPC may both report a failure to the observer and throw.
        AtomicBoolean ended = new AtomicBoolean();
        StreamObserver<R> observer = new StreamObserver<>() {
            private R answer;

            @Override
            public void onNext(R value) {
                answer = value;
            }

            @Override
            public void onError(Throwable t) {
                if (!ended.compareAndSet(false, true)) return;
                release(bytes);
                onFailure(rpc, statusOf(t));
            }

            @Override
            public void onCompleted() {
                if (!ended.compareAndSet(false, true)) return;
                release(bytes);
                onAnswer(rpc, answer, decode);
            }
        };
        try {
            start.start(stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS), request, observer);
        } catch (RuntimeException e) {
            observer.onError(e);
        }
    }

    /**
     * Counts the start of a call made outside {@link #call} (an InstallSnapshot stream, which has
     * its own bound: one transfer per peer) and returns the stub to make it with. Its end is
     * reported through {@link #streamEnded}.
     */
    RaftPeerStub startStream() {
        sent.incrementAndGet();
        maybeCutReconnectBackoff();
        return stub;
    }

    /** The end of a call started by {@link #startStream}: answered when {@code status} is OK, else failed. */
    void streamEnded(String rpc, Status status) {
        if (!status.isOk()) {
            onFailure(rpc, status);
            return;
        }
        answered.incrementAndGet();
        onReachable();
        options.callListener().accept(peerId, Status.OK);
    }

    /** Counts snapshot bytes handed to gRPC for this peer (chunk data only). */
    void countSnapshotBytes(long bytes) {
        snapshotBytesSent.addAndGet(bytes);
    }

    /** Counts a message that is not sent at all. */
    void drop(String what, String why) {
        dropped.incrementAndGet();
        log.debug("{} to peer {} dropped: {}", what, peerId, why);
    }

    synchronized PeerStats stats() {
        return new PeerStats(peerId, target, sent.get(), answered.get(), failed.get(), dropped.get(),
                outstandingCalls, outstandingBytes, Boolean.TRUE.equals(reachable), lastFailure,
                snapshotBytesSent.get(), messageBytesSent.get());
    }

    void shutdown() {
        closing = true;
        if (exchange != null) exchange.close();
        channel.shutdown();
    }

    boolean awaitTermination(long nanos) throws InterruptedException {
        return channel.awaitTermination(nanos, TimeUnit.NANOSECONDS);
    }

    void shutdownNow() {
        channel.shutdownNow();
    }

    // ------------------------------------------------------------------ call outcomes

    private <R> void onAnswer(String rpc, R answer, Function<R, Message> decode) {
        answered.incrementAndGet();
        onReachable();
        try {
            Message response;
            try {
                response = decode.apply(answer);
            } catch (IllegalArgumentException e) {
                warnOrDebug(errorWarnings, "the answer to {} from peer {} is malformed, dropped: {}", rpc, e.getMessage());
                return;
            }
            if (response != null) deliver.accept(response);
        } catch (RuntimeException e) {
            // The node's inbound must only enqueue; a failure there is its bug, reported here once in a while.
            warnOrDebug(errorWarnings, "the node refused the answer to {} from peer {}: {}", rpc, e.toString());
        } finally {
            options.callListener().accept(peerId, Status.OK);
        }
    }

    private void onFailure(String rpc, Status status) {
        failed.incrementAndGet();
        lastFailure = status.getCode();
        if (closing) {
            log.debug("{} to peer {} ended by the transport's close: {}", rpc, peerId, describe(status));
            options.callListener().accept(peerId, status);
            return;
        }
        switch (status.getCode()) {
            // Down, slow, or going away (a server shutting down cancels its calls).
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> onUnreachable(rpc, status);
            // The peer answered, but the call broke the contract (too large, malformed, not implemented).
            default -> {
                onReachable();
                warnOrDebug(errorWarnings, "{} to peer {} failed: {}", rpc, describe(status));
            }
        }
        options.callListener().accept(peerId, status);
    }

    private synchronized void onUnreachable(String rpc, Status status) {
        log.debug("{} to peer {} at {} failed: {}", rpc, peerId, target, describe(status));
        reachable = Boolean.FALSE;
        if (!warnedUnreachable && unreachableWarnings.allow()) {
            warnedUnreachable = true;
            log.warn("peer {} at {} is unreachable: {}", peerId, target, describe(status));
        }
    }

    private synchronized void onReachable() {
        if (warnedUnreachable) {
            log.warn("peer {} at {} is reachable again", peerId, target);
            warnedUnreachable = false;
        } else if (!Boolean.TRUE.equals(reachable)) {
            log.debug("peer {} at {} is reachable", peerId, target);
        }
        reachable = Boolean.TRUE;
    }

    private void warnOrDebug(LogLimiter limiter, String format, String rpc, String detail) {
        if (limiter.allow()) log.warn(format, rpc, peerId, detail);
        else log.debug(format, rpc, peerId, detail);
    }

    private static String describe(Status status) {
        StringBuilder b = new StringBuilder(status.getCode().toString());
        if (status.getDescription() != null) b.append(' ').append(status.getDescription());
        Throwable root = status.getCause();
        while (root != null && root.getCause() != null) root = root.getCause();
        if (root != null) b.append(" (").append(root).append(')');
        return b.toString();
    }

    /**
     * The status a call ended with. A message over the size limit fails inside gRPC's client as
     * CANCELLED caused by RESOURCE_EXHAUSTED; report the cause, which says what went wrong.
     */
    static Status statusOf(Throwable t) {
        Status status = Status.fromThrowable(t);
        if (status.getCode() == Status.Code.CANCELLED && status.getCause() != null) {
            Status cause = Status.fromThrowable(status.getCause());
            if (cause.getCode() == Status.Code.RESOURCE_EXHAUSTED) return cause;
        }
        return status;
    }

    // ------------------------------------------------------------------ bound and reconnection

    private synchronized boolean tryAcquire(long bytes) {
        if (outstandingCalls >= options.maxOutstandingCalls()) return false;
        if (outstandingCalls > 0 && outstandingBytes + bytes > options.maxOutstandingBytes()) return false;
        outstandingCalls++;
        outstandingBytes += bytes;
        return true;
    }

    private synchronized void release(long bytes) {
        outstandingCalls--;
        outstandingBytes -= bytes;
    }

    private synchronized void maybeCutReconnectBackoff() {
        if (channel.getState(false) != ConnectivityState.TRANSIENT_FAILURE) return;
        long now = System.nanoTime();
        if (now - lastBackoffResetNanos < RECONNECT_INTERVAL.toNanos()) return;
        lastBackoffResetNanos = now;
        channel.resetConnectBackoff();
    }
}
