package raftkv.jepsen;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import raftkv.proto.kv.CasRequest;
import raftkv.proto.kv.DeleteRequest;
import raftkv.proto.kv.GetMetaRequest;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.RequestId;
import raftkv.proto.kv.SetRequest;

/**
 * One chaos client's gRPC calls (kv.proto). Every write carries a request id: the client's own
 * random client id and the next sequence number, so retrying it through any node takes effect at
 * most once. Not thread-safe: one per client thread, which has at most one write in flight.
 */
final class GrpcOps {
    private final long clientId;
    private final long deadlineMs;
    private long sequence;

    /** @param clientId non-zero, this client's alone */
    GrpcOps(long clientId, long deadlineMs) {
        if (clientId == 0) throw new IllegalArgumentException("client id 0");
        this.clientId = clientId;
        this.deadlineMs = deadlineMs;
    }

    /** A new write's request id; pass it to every attempt of that write. */
    RequestId nextRequestId() {
        return RequestId.newBuilder().setClientId(clientId).setSequence(++sequence).build();
    }

    /** One attempt of {@code call} through {@code channel}; {@code id} is ignored for reads. */
    Outcome execute(Channel channel, Call call, RequestId id) {
        KeyValueGrpc.KeyValueBlockingStub stub =
                KeyValueGrpc.newBlockingStub(channel).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
        try {
            if (call instanceof Call.Set s) {
                return new Outcome.Ok(stub.set(SetRequest.newBuilder().setKey(utf8(s.key())).setValue(utf8(s.value()))
                        .setRequestId(id).build()).getVersion());
            } else if (call instanceof Call.Cas c) {
                return new Outcome.Ok(stub.cas(CasRequest.newBuilder().setKey(utf8(c.key()))
                        .setExpectedVersion(c.expectedVersion()).setValue(utf8(c.value())).setRequestId(id).build()).getVersion());
            } else if (call instanceof Call.Delete d) {
                stub.delete(DeleteRequest.newBuilder().setKey(utf8(d.key())).setRequestId(id).build());
                return new Outcome.Deleted();
            } else if (call instanceof Call.Get g) {
                GetResponse r = stub.get(GetRequest.newBuilder().setKey(utf8(g.key())).build());
                return new Outcome.Value(r.getValue().toStringUtf8(), r.getVersion());
            } else {
                GetMetaResponse r = stub.getMeta(GetMetaRequest.newBuilder().setKey(utf8(call.key())).build());
                return new Outcome.Value(r.getValue().toStringUtf8(), r.getVersion());
            }
        } catch (StatusRuntimeException e) {
            return fromStatus(call, e.getStatus());
        }
    }

    /** kv.proto's error codes: NOT_FOUND and FAILED_PRECONDITION are answers; the rest fail or are unknown. */
    static Outcome fromStatus(Call call, Status status) {
        String what = "grpc: " + status.getCode() + (status.getDescription() == null ? "" : " " + status.getDescription());
        return switch (status.getCode()) {
            case NOT_FOUND -> call instanceof Call.Set ? new Outcome.Info(what) : new Outcome.NotFound();
            case FAILED_PRECONDITION -> call instanceof Call.Cas ? new Outcome.VersionMismatch() : new Outcome.Info(what);
            // Refused before anything was written.
            case INVALID_ARGUMENT, ABORTED, RESOURCE_EXHAUSTED -> new Outcome.Fail(what);
            // UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, INTERNAL, UNKNOWN...: the write may or may not have happened.
            default -> new Outcome.Info(what);
        };
    }

    /** Whether a retry with the same request id may still settle an unknown outcome. */
    static boolean retryable(Outcome outcome) {
        return outcome instanceof Outcome.Info;
    }

    private static ByteString utf8(String s) {
        return ByteString.copyFromUtf8(s);
    }
}
