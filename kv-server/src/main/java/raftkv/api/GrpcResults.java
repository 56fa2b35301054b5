package raftkv.api;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import raftkv.node.KvResult;

/**
 * The one place where service results meet gRPC status codes (kv.proto, service KeyValue), in
 * both directions: the server maps errors to statuses, the forwarding client maps them back.
 */
public final class GrpcResults {
    /** Trailing metadata naming the leader's gRPC address, on every response where it is known. */
    public static final Metadata.Key<String> LEADER_KEY = Metadata.Key.of("raftkv-leader", Metadata.ASCII_STRING_MARSHALLER);
    /** Set by a node that forwards a call to the leader, so that the call is not forwarded again. */
    public static final Metadata.Key<String> FORWARDED_KEY = Metadata.Key.of("raftkv-forwarded", Metadata.ASCII_STRING_MARSHALLER);

    /** The description of RESOURCE_EXHAUSTED for a full store, which tells it from gRPC's own (message size). */
    public static final String NO_SPACE = "store quota exceeded (quotaBytes): only reads, deletes and writes that do not grow the store are served";

    private GrpcResults() {}

    /** The status for a result that is not a success of the call at hand. */
    public static StatusRuntimeException toStatus(KvResult result) {
        Status status;
        String leader = null;
        if (result instanceof KvResult.NotFound) {
            status = Status.NOT_FOUND.withDescription("key not found");
        } else if (result instanceof KvResult.VersionMismatch) {
            status = Status.FAILED_PRECONDITION.withDescription("version mismatch");
        } else if (result instanceof KvResult.StaleRequest) {
            status = Status.ABORTED.withDescription("request id too old");
        } else if (result instanceof KvResult.NoSpace) {
            status = Status.RESOURCE_EXHAUSTED.withDescription(NO_SPACE);
        } else if (result instanceof KvResult.Invalid i) {
            status = Status.INVALID_ARGUMENT.withDescription(i.reason());
        } else if (result instanceof KvResult.Redirect r) {
            status = Status.UNAVAILABLE.withDescription("not the leader; the leader is at " + r.leaderPeerAddress());
            leader = r.leaderPeerAddress();
        } else if (result instanceof KvResult.Unavailable u) {
            status = Status.UNAVAILABLE.withDescription(u.reason());
            leader = u.leaderPeerAddress();
        } else if (result instanceof KvResult.Internal i) {
            status = Status.INTERNAL.withDescription(i.reason());
        } else {
            status = Status.INTERNAL.withDescription("unexpected result " + result.getClass().getSimpleName());
        }
        Metadata trailers = new Metadata();
        if (leader != null) trailers.put(LEADER_KEY, leader);
        return status.asRuntimeException(trailers);
    }

    /** The result a forwarding node relays for a failed call. */
    public static KvResult fromStatus(Status status, Metadata trailers) {
        String leader = trailers == null ? null : trailers.get(LEADER_KEY);
        String why = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
        return switch (status.getCode()) {
            case NOT_FOUND -> new KvResult.NotFound();
            case FAILED_PRECONDITION -> new KvResult.VersionMismatch();
            case ABORTED -> new KvResult.StaleRequest();
            case INVALID_ARGUMENT -> new KvResult.Invalid(why, false);
            case RESOURCE_EXHAUSTED -> NO_SPACE.equals(status.getDescription()) ? new KvResult.NoSpace()
                    : new KvResult.Internal(status.getCode() + ": " + why);
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> new KvResult.Unavailable(why, leader);
            default -> new KvResult.Internal(status.getCode() + ": " + why);
        };
    }
}
