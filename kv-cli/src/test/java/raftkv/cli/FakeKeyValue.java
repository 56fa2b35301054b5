package raftkv.cli;

import com.google.protobuf.ByteString;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import raftkv.proto.kv.CasRequest;
import raftkv.proto.kv.CasResponse;
import raftkv.proto.kv.DeleteRequest;
import raftkv.proto.kv.DeleteResponse;
import raftkv.proto.kv.GetMetaRequest;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.RequestId;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.SetRequest;
import raftkv.proto.kv.SetResponse;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;

/**
 * A fake KeyValue node for tests: an in-memory store with kv.proto's answers, served by a real
 * Netty gRPC server on 127.0.0.1 and a free port. It can be told to fail every key-value call
 * with a status, to name a leader in its trailers, and it records the request ids of writes.
 */
final class FakeKeyValue extends KeyValueGrpc.KeyValueImplBase implements AutoCloseable {
    private record Stored(ByteString value, long version, long ttl) {}

    private final Map<ByteString, Stored> data = new HashMap<>();
    private final AtomicLong versions;
    private final List<RequestId> writeIds = new ArrayList<>();
    private final Server server;
    private volatile Status failWith;
    private volatile String leaderHint;
    private volatile StatusResponse status;
    private final AtomicLong calls = new AtomicLong();

    /** A node with a version counter of its own. */
    static FakeKeyValue start() throws IOException {
        return start(new AtomicLong());
    }

    /** A node sharing {@code versions} with others, as the nodes of one cluster share the log. */
    static FakeKeyValue start(AtomicLong versions) throws IOException {
        return new FakeKeyValue(versions);
    }

    private FakeKeyValue(AtomicLong versions) throws IOException {
        this.versions = versions;
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(this, new HintTrailer()))
                .build()
                .start();
        this.status = StatusResponse.newBuilder().setNodeId(0).setRole(Role.ROLE_LEADER).setTerm(1)
                .setPeerAddress(endpoint()).setClientAddress("127.0.0.1:1").setLeaderKnown(true).setLeaderId(0)
                .setLeaderAddress(endpoint()).build();
    }

    String endpoint() {
        return "127.0.0.1:" + server.getPort();
    }

    /** Every later key-value call (not Status) fails with {@code s}; null to succeed again. */
    FakeKeyValue failWith(Status s) {
        failWith = s;
        return this;
    }

    /** Every answer from now on names this leader in its trailers; null for none. */
    FakeKeyValue leaderHint(String address) {
        leaderHint = address;
        return this;
    }

    FakeKeyValue status(StatusResponse s) {
        status = s;
        return this;
    }

    private volatile byte[] snapshot = new byte[0];

    /** What SaveSnapshot streams from now on, in chunks of 1000 bytes. */
    FakeKeyValue snapshot(byte[] bytes) {
        snapshot = bytes.clone();
        return this;
    }

    @Override
    public void saveSnapshot(raftkv.proto.kv.SaveSnapshotRequest req, StreamObserver<raftkv.proto.kv.SnapshotData> out) {
        if (failed(out)) return;
        byte[] bytes = snapshot;
        for (int off = 0; off < bytes.length; off += 1000) {
            out.onNext(raftkv.proto.kv.SnapshotData.newBuilder()
                    .setData(ByteString.copyFrom(bytes, off, Math.min(1000, bytes.length - off))).build());
        }
        out.onCompleted();
    }

    /** Key-value calls received, failed or not. */
    long calls() {
        return calls.get();
    }

    synchronized List<RequestId> writeIds() {
        return List.copyOf(writeIds);
    }

    synchronized void put(String key, ByteString value) {
        data.put(ByteString.copyFromUtf8(key), new Stored(value, versions.incrementAndGet(), 0));
    }

    synchronized ByteString value(String key) {
        Stored s = data.get(ByteString.copyFromUtf8(key));
        return s == null ? null : s.value();
    }

    private boolean failed(StreamObserver<?> out) {
        calls.incrementAndGet();
        Status s = failWith;
        if (s == null) return false;
        out.onError(s.asRuntimeException());
        return true;
    }

    @Override
    public void set(SetRequest req, StreamObserver<SetResponse> out) {
        synchronized (this) {
            if (req.hasRequestId()) writeIds.add(req.getRequestId());
        }
        if (failed(out)) return;
        long version;
        synchronized (this) {
            version = versions.incrementAndGet();
            data.put(req.getKey(), new Stored(req.getValue(), version, req.getTtlSeconds()));
        }
        out.onNext(SetResponse.newBuilder().setVersion(version).build());
        out.onCompleted();
    }

    @Override
    public void get(GetRequest req, StreamObserver<GetResponse> out) {
        if (failed(out)) return;
        Stored s;
        synchronized (this) {
            s = data.get(req.getKey());
        }
        if (s == null) {
            out.onError(Status.NOT_FOUND.withDescription("key not found").asRuntimeException());
            return;
        }
        out.onNext(GetResponse.newBuilder().setValue(s.value()).setVersion(s.version()).build());
        out.onCompleted();
    }

    @Override
    public void getMeta(GetMetaRequest req, StreamObserver<GetMetaResponse> out) {
        if (failed(out)) return;
        Stored s;
        synchronized (this) {
            s = data.get(req.getKey());
        }
        if (s == null) {
            out.onError(Status.NOT_FOUND.withDescription("key not found").asRuntimeException());
            return;
        }
        out.onNext(GetMetaResponse.newBuilder().setVersion(s.version()).setTtlSeconds(s.ttl())
                .setValueSize(s.value().size()).setValue(s.value()).build());
        out.onCompleted();
    }

    @Override
    public void cas(CasRequest req, StreamObserver<CasResponse> out) {
        synchronized (this) {
            if (req.hasRequestId()) writeIds.add(req.getRequestId());
        }
        if (failed(out)) return;
        Status error = null;
        long version = 0;
        synchronized (this) {
            Stored s = data.get(req.getKey());
            if (s == null) {
                error = Status.NOT_FOUND.withDescription("key not found");
            } else if (s.version() != req.getExpectedVersion()) {
                error = Status.FAILED_PRECONDITION.withDescription("version mismatch");
            } else {
                version = versions.incrementAndGet();
                data.put(req.getKey(), new Stored(req.getValue(), version, req.getTtlSeconds()));
            }
        }
        if (error != null) {
            out.onError(error.asRuntimeException());
            return;
        }
        out.onNext(CasResponse.newBuilder().setVersion(version).build());
        out.onCompleted();
    }

    @Override
    public void delete(DeleteRequest req, StreamObserver<DeleteResponse> out) {
        synchronized (this) {
            if (req.hasRequestId()) writeIds.add(req.getRequestId());
        }
        if (failed(out)) return;
        boolean existed;
        synchronized (this) {
            existed = data.remove(req.getKey()) != null;
        }
        if (!existed) {
            out.onError(Status.NOT_FOUND.withDescription("key not found").asRuntimeException());
            return;
        }
        out.onNext(DeleteResponse.getDefaultInstance());
        out.onCompleted();
    }

    @Override
    public void status(StatusRequest req, StreamObserver<StatusResponse> out) {
        out.onNext(status);
        out.onCompleted();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private final class HintTrailer implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status s, Metadata trailers) {
                    String hint = leaderHint;
                    if (hint != null) trailers.put(KvClient.LEADER_KEY, hint);
                    super.close(s, trailers);
                }
            }, headers);
        }
    }
}
