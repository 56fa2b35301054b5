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
    /**
     * Trailing metadata on every error status a node itself answers with: {@value #NOT_EXECUTED}
     * when it certainly did not execute the command (it does not lead), {@value #ANSWERED} otherwise.
     * A status without it was made by gRPC (a connection that broke, a deadline): no answer at all.
     */
    static final Metadata.Key<String> OUTCOME_KEY = Metadata.Key.of("raftkv-outcome", Metadata.ASCII_STRING_MARSHALLER);
    static final String NOT_EXECUTED = "not-executed";
    static final String ANSWERED = "answered";

    /** The description of RESOURCE_EXHAUSTED for a full store, which tells it from gRPC's own (message size). */
    public static final String NO_SPACE = "store quota exceeded (quotaBytes): only reads, deletes and writes that do not grow the store are served";
    public static final String NO_DISK = "the node's data disk is below its reserve (diskReserveBytes): sets and cas are refused "
            + "until space is freed; reads and deletes are served";

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
            status = Status.RESOURCE_EXHAUSTED.withDescription(((KvResult.NoSpace) result).diskLow() ? NO_DISK : NO_SPACE);
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
        trailers.put(OUTCOME_KEY, result instanceof KvResult.Redirect ? NOT_EXECUTED : ANSWERED);
        return status.asRuntimeException(trailers);
    }

    /**
     * The result a forwarding node relays for a failed call. A status the leader did not answer
     * with (the connection broke as it died, say) says nothing of the command's outcome: it is
     * unknown, never an internal error, and the caller retries it where that is safe.
     */
    public static KvResult fromStatus(Status status, Metadata trailers) {
        String leader = trailers == null ? null : trailers.get(LEADER_KEY);
        String outcome = trailers == null ? null : trailers.get(OUTCOME_KEY);
        String why = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
        if (outcome == null) return new KvResult.Unavailable("no answer from the leader: " + status.getCode() + ": " + why, leader);
        if (outcome.equals(NOT_EXECUTED)) return new KvResult.Redirect(null, leader);
        return switch (status.getCode()) {
            case NOT_FOUND -> new KvResult.NotFound();
            case FAILED_PRECONDITION -> new KvResult.VersionMismatch();
            case ABORTED -> new KvResult.StaleRequest();
            case INVALID_ARGUMENT -> new KvResult.Invalid(why, false);
            // The node's own answer: gRPC's (message size) has no marker.
            case RESOURCE_EXHAUSTED -> new KvResult.NoSpace(NO_DISK.equals(status.getDescription()));
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> new KvResult.Unavailable(why, leader);
            default -> new KvResult.Internal(status.getCode() + ": " + why);
        };
    }
}
