package raftkv.api;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import raftkv.config.ServerSpec;
import raftkv.kv.RequestId;
import raftkv.node.Clock;
import raftkv.node.Forwarder;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;
import raftkv.proto.kv.CasRequest;
import raftkv.proto.kv.DeleteRequest;
import raftkv.proto.kv.GetMetaRequest;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.SetRequest;

/**
 * Forwards client commands to the leader's KeyValue service, one unary call each, on one long-lived
 * channel per peer. Used only for a leader without forward.proto (an older version); see {@link BatchedForwarder}.
 */
public final class LeaderForwarder implements Forwarder {
    private final int maxMessageBytes;
    private final Map<Integer, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Map<Integer, KeyValueGrpc.KeyValueFutureStub> stubs = new ConcurrentHashMap<>();

    private final Clock clock;
    private final ChannelCredentials credentials;

    public LeaderForwarder(int maxMessageBytes, Clock clock) {
        this(maxMessageBytes, clock, InsecureChannelCredentials.create());
    }

    /**
     * @param clock       the node's clock, whose monotonic time the deadlines handed to {@link #forward} are in
     * @param credentials plaintext, or TLS with this node's certificate (SPEC section 8)
     */
    public LeaderForwarder(int maxMessageBytes, Clock clock, ChannelCredentials credentials) {
        this.maxMessageBytes = maxMessageBytes;
        this.clock = clock;
        this.credentials = credentials;
    }

    @Override
    public CompletableFuture<KvResult> forward(ServerSpec leader, KvRequest request, long deadlineNanos) {
        long left = deadlineNanos - clock.nanos();
        if (left <= 0) return CompletableFuture.completedFuture(new KvResult.Unavailable("request timeout", leader.logAddress()));
        KeyValueGrpc.KeyValueFutureStub stub = stub(leader).withDeadlineAfter(left, TimeUnit.NANOSECONDS);
        if (request instanceof KvRequest.Set s) {
            SetRequest.Builder b = SetRequest.newBuilder().setKey(s.key()).setValue(s.value()).setTtlSeconds(s.ttlSeconds());
            if (!s.requestId().isNone()) b.setRequestId(proto(s.requestId()));
            return call(stub.set(b.build()), r -> new KvResult.Written(r.getVersion()));
        } else if (request instanceof KvRequest.Cas c) {
            CasRequest.Builder b = CasRequest.newBuilder().setKey(c.key()).setExpectedVersion(c.expectedVersion())
                    .setValue(c.value()).setTtlSeconds(c.ttlSeconds());
            if (!c.requestId().isNone()) b.setRequestId(proto(c.requestId()));
            return call(stub.cas(b.build()), r -> new KvResult.Written(r.getVersion()));
        } else if (request instanceof KvRequest.Delete d) {
            DeleteRequest.Builder b = DeleteRequest.newBuilder().setKey(d.key());
            if (!d.requestId().isNone()) b.setRequestId(proto(d.requestId()));
            return call(stub.delete(b.build()), r -> new KvResult.Deleted());
        } else if (request instanceof KvRequest.Get g) {
            return call(stub.get(GetRequest.newBuilder().setKey(g.key()).build()),
                    r -> new KvResult.Found(r.getValue(), r.getVersion(), 0));
        } else {
            return call(stub.getMeta(GetMetaRequest.newBuilder().setKey(request.key()).build()),
                    r -> new KvResult.Found(r.getValue(), r.getVersion(), r.getTtlSeconds()));
        }
    }

    private static raftkv.proto.kv.RequestId proto(RequestId id) {
        return raftkv.proto.kv.RequestId.newBuilder().setClientId(id.clientId()).setSequence(id.sequence()).build();
    }

    private static <T> CompletableFuture<KvResult> call(ListenableFuture<T> call, Function<T, KvResult> onSuccess) {
        CompletableFuture<KvResult> result = new CompletableFuture<>();
        Futures.addCallback(call, new FutureCallback<T>() {
            @Override
            public void onSuccess(T response) {
                result.complete(onSuccess.apply(response));
            }

            @Override
            public void onFailure(Throwable t) {
                result.complete(GrpcResults.fromStatus(Status.fromThrowable(t), Status.trailersFromThrowable(t)));
            }
        }, MoreExecutors.directExecutor());
        return result;
    }

    private KeyValueGrpc.KeyValueFutureStub stub(ServerSpec leader) {
        return stubs.computeIfAbsent(leader.id(), id -> {
            // Answers are handled on the network thread (directExecutor): completing the caller's
            // future only hands the result on, or schedules a retry, and never blocks.
            ManagedChannel channel = raftkv.transport.NetLoops.channel(NettyChannelBuilder.forAddress(leader.hostname(), leader.logPort(), credentials))
                    .directExecutor()
                    .maxInboundMessageSize(maxMessageBytes)
                    .build();
            channels.put(id, channel);
            Metadata forwarded = new Metadata();
            forwarded.put(GrpcResults.FORWARDED_KEY, "1");
            return KeyValueGrpc.newFutureStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forwarded))
                    .withMaxOutboundMessageSize(maxMessageBytes);
        });
    }

    @Override
    public void close() {
        closeAll(channels.values());
    }

    /** Shuts the channels down, giving their calls up to 2 s each to end. */
    static void closeAll(java.util.Collection<ManagedChannel> channels) {
        channels.forEach(ManagedChannel::shutdown);
        for (ManagedChannel c : channels) {
            try {
                if (!c.awaitTermination(2, TimeUnit.SECONDS)) c.shutdownNow();
            } catch (InterruptedException e) {
                c.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
