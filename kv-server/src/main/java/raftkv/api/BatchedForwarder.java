package raftkv.api;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Function;
import raftkv.config.ServerSpec;
import raftkv.node.Clock;
import raftkv.node.Forwarder;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;
import raftkv.proto.forward.LeaderForwardGrpc;
import raftkv.transport.NetLoops;

/**
 * Forwards client commands to the leader over one long-lived Forward stream per leader
 * (forward.proto), many commands per message, on one long-lived channel per peer. A stream that
 * breaks fails the commands waiting on it as Unavailable; the next command opens a new one.
 */
public final class BatchedForwarder implements Forwarder {
    private final int maxMessageBytes;
    private final Clock clock;
    private final Function<ServerSpec, Channel> channelFor;
    private final Map<Integer, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Map<Integer, ForwardStream> streams = new ConcurrentHashMap<>();
    // Leaders that answered UNIMPLEMENTED to Forward, and the unary forwarder used for them.
    private final Set<Integer> unaryOnly = ConcurrentHashMap.newKeySet();
    private final LeaderForwarder unary;
    // Per-command deadlines (a command answered in time cancels its task, which is then removed).
    private final ScheduledThreadPoolExecutor timeouts;
    // Sends the batches: commands submitted while a send is queued go in the same batch. In a node,
    // the network thread that received them, once it has read what it was woken for.
    private final java.util.concurrent.Executor sender;

    /**
     * @param clock       the node's clock, whose monotonic time the deadlines handed to {@link #forward} are in
     * @param credentials plaintext, or TLS with this node's certificate (SPEC section 8)
     */
    public BatchedForwarder(int maxMessageBytes, Clock clock, ChannelCredentials credentials) {
        this(maxMessageBytes, clock, null, credentials);
    }

    /** For tests: every leader is reached through {@code channel}. */
    BatchedForwarder(int maxMessageBytes, Clock clock, Channel channel) {
        this(maxMessageBytes, clock, channel, null);
    }

    private BatchedForwarder(int maxMessageBytes, Clock clock, Channel fixed, ChannelCredentials credentials) {
        this.maxMessageBytes = maxMessageBytes;
        this.clock = clock;
        this.unary = credentials == null ? null : new LeaderForwarder(maxMessageBytes, clock, credentials);
        this.channelFor = fixed != null ? leader -> fixed : leader -> channels.computeIfAbsent(leader.id(), id ->
                // Replies are handled on the network thread (directExecutor): completing the caller's
                // future only hands the result on, or schedules a retry, and never blocks.
                NetLoops.channel(NettyChannelBuilder.forAddress(leader.hostname(), leader.logPort(), credentials))
                        .directExecutor()
                        .maxInboundMessageSize(maxMessageBytes)
                        .build());
        this.timeouts = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "forward-timeouts");
            t.setDaemon(true);
            return t;
        });
        timeouts.setRemoveOnCancelPolicy(true);
        this.sender = fixed != null ? timeouts : NetLoops::execute;
    }

    @Override
    public CompletableFuture<KvResult> forward(ServerSpec leader, KvRequest request, long deadlineNanos) {
        if (unary != null && unaryOnly.contains(leader.id())) return unary.forward(leader, request, deadlineNanos);
        long left = deadlineNanos - clock.nanos();
        if (left <= 0) {
            return CompletableFuture.completedFuture(new KvResult.Unavailable("request timeout", leader.logAddress()));
        }
        // A stream that is broken has already been dropped (or is being): the next call opens a new one.
        return stream(leader).submit(request, left);
    }

    private ForwardStream stream(ServerSpec leader) {
        ForwardStream existing = streams.get(leader.id());
        if (existing != null) return existing;
        ForwardStream[] created = new ForwardStream[1];
        ForwardStream stream = streams.computeIfAbsent(leader.id(), id -> {
            ForwardStream[] self = new ForwardStream[1];
            self[0] = new ForwardStream(leader.logAddress(), timeouts, sender, maxMessageBytes,
                    status -> {
                        streams.remove(id, self[0]);
                        // A node of an older version, without forward.proto: forward to it one call at a time.
                        if (status.getCode() == Status.Code.UNIMPLEMENTED) unaryOnly.add(id);
                    });
            created[0] = self[0];
            return self[0];
        });
        if (stream == created[0]) {
            // Started outside computeIfAbsent: starting may fail at once, and the stream then removes itself.
            LeaderForwardGrpc.newStub(channelFor.apply(leader)).withMaxOutboundMessageSize(maxMessageBytes).forward(stream);
            stream.started();
        }
        return stream;
    }

    /** For tests: the messages sent on the current stream to {@code leaderId}, or -1 if none is open. */
    long batchesSent(int leaderId) {
        ForwardStream s = streams.get(leaderId);
        return s == null ? -1 : s.batchesSent();
    }

    @Override
    public void close() {
        streams.values().forEach(ForwardStream::close);
        LeaderForwarder.closeAll(channels.values());
        timeouts.shutdownNow();
        if (unary != null) unary.close();
    }
}
