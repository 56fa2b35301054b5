package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.function.Executable;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.CasRequest;
import raftkv.proto.kv.DeleteRequest;
import raftkv.proto.kv.GetMetaRequest;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.RequestId;
import raftkv.proto.kv.SetRequest;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;

/**
 * A gRPC client of one node's KeyValue service (kv.proto) for tests: blocking calls, each with a
 * deadline, and the trailers of the last call (where the {@code raftkv-leader} hint travels).
 */
final class GrpcClient implements AutoCloseable {
    /** The trailing metadata key of the leader hint, as kv.proto spells it. */
    static final Metadata.Key<String> LEADER = Metadata.Key.of("raftkv-leader", Metadata.ASCII_STRING_MARSHALLER);

    private final ServerSpec server;
    private final ManagedChannel channel;
    private final AtomicReference<Metadata> headers = new AtomicReference<>();
    private final AtomicReference<Metadata> trailers = new AtomicReference<>();
    private final KeyValueGrpc.KeyValueBlockingStub stub;
    private final long deadlineMs;

    /** @param deadlineMs the deadline of every call */
    GrpcClient(ServerSpec server, long deadlineMs) {
        this.server = server;
        this.deadlineMs = deadlineMs;
        this.channel = NettyChannelBuilder.forAddress(server.hostname(), server.logPort())
                .usePlaintext()
                .maxInboundMessageSize(16 << 20)
                .build();
        this.stub = KeyValueGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
    }

    GrpcClient(ServerSpec server) {
        this(server, 20_000);
    }

    ServerSpec server() {
        return server;
    }

    /** The stub for one call, with its deadline; forgets the previous call's trailers. */
    KeyValueGrpc.KeyValueBlockingStub call() {
        trailers.set(null);
        return stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
    }

    /** The {@code raftkv-leader} trailer of the last call, or null if it had none. */
    String leaderHint() {
        Metadata t = trailers.get();
        return t == null ? null : t.get(LEADER);
    }

    long set(String key, String value) {
        return call().set(SetRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build()).getVersion();
    }

    long set(String key, ByteString value, long ttlSeconds, RequestId id) {
        SetRequest.Builder b = SetRequest.newBuilder().setKey(bytes(key)).setValue(value).setTtlSeconds(ttlSeconds);
        if (id != null) b.setRequestId(id);
        return call().set(b.build()).getVersion();
    }

    long set(String key, String value, RequestId id) {
        return set(key, bytes(value), 0, id);
    }

    GetResponse get(String key) {
        return call().get(GetRequest.newBuilder().setKey(bytes(key)).build());
    }

    GetMetaResponse getMeta(String key) {
        return call().getMeta(GetMetaRequest.newBuilder().setKey(bytes(key)).build());
    }

    long cas(String key, long expectedVersion, String value, RequestId id) {
        CasRequest.Builder b = CasRequest.newBuilder().setKey(bytes(key)).setExpectedVersion(expectedVersion)
                .setValue(bytes(value));
        if (id != null) b.setRequestId(id);
        return call().cas(b.build()).getVersion();
    }

    void delete(String key, RequestId id) {
        DeleteRequest.Builder b = DeleteRequest.newBuilder().setKey(bytes(key));
        if (id != null) b.setRequestId(id);
        call().delete(b.build());
    }

    StatusResponse status() {
        return call().status(StatusRequest.getDefaultInstance());
    }

    static ByteString bytes(String s) {
        return ByteString.copyFromUtf8(s);
    }

    static RequestId id(long clientId, long sequence) {
        return RequestId.newBuilder().setClientId(clientId).setSequence(sequence).build();
    }

    /** Runs {@code call}, which must fail with {@code code}; returns the failure. */
    static StatusRuntimeException expect(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call, "expected " + code);
        assertEquals(code, e.getStatus().getCode(), () -> "status " + e.getStatus());
        return e;
    }

    /** The leader hint in a failure's trailers, or null. */
    static String leaderHint(StatusRuntimeException e) {
        return e.getTrailers() == null ? null : e.getTrailers().get(LEADER);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
    }
}
