package raftkv.api;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import raftkv.kv.RequestId;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;
import raftkv.proto.KvRules;
import raftkv.proto.forward.ForwardError;
import raftkv.proto.forward.ForwardedCommand;
import raftkv.proto.forward.ForwardedReply;
import raftkv.proto.kv.CasRequest;
import raftkv.proto.kv.DeleteRequest;
import raftkv.proto.kv.GetMetaRequest;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.SetRequest;

/**
 * Maps forwarded commands and their replies (forward.proto) to and from {@link KvRequest} and
 * {@link KvResult}. Errors travel as the status the equivalent KeyValue call would end with, made
 * and read by {@link GrpcResults}, so a forwarded command means exactly what a forwarded unary
 * call means.
 */
final class ForwardCodec {
    private ForwardCodec() {}

    static ForwardedCommand encode(long callId, KvRequest request, long timeoutMicros) {
        ForwardedCommand.Builder b = ForwardedCommand.newBuilder().setCallId(callId).setTimeoutMicros(timeoutMicros);
        if (request instanceof KvRequest.Set s) {
            SetRequest.Builder r = SetRequest.newBuilder().setKey(s.key()).setValue(s.value()).setTtlSeconds(s.ttlSeconds());
            if (!s.requestId().isNone()) r.setRequestId(proto(s.requestId()));
            b.setSet(r);
        } else if (request instanceof KvRequest.Cas c) {
            CasRequest.Builder r = CasRequest.newBuilder().setKey(c.key()).setExpectedVersion(c.expectedVersion())
                    .setValue(c.value()).setTtlSeconds(c.ttlSeconds());
            if (!c.requestId().isNone()) r.setRequestId(proto(c.requestId()));
            b.setCas(r);
        } else if (request instanceof KvRequest.Delete d) {
            DeleteRequest.Builder r = DeleteRequest.newBuilder().setKey(d.key());
            if (!d.requestId().isNone()) r.setRequestId(proto(d.requestId()));
            b.setDelete(r);
        } else if (request instanceof KvRequest.Get g) {
            b.setGet(GetRequest.newBuilder().setKey(g.key()));
        } else {
            b.setGetMeta(GetMetaRequest.newBuilder().setKey(request.key()));
        }
        return b.build();
    }

    /**
     * The command, or the {@link KvResult.Invalid} that KvGrpcService would answer for it (no
     * command set; a request id that is set but has a zero field).
     */
    static Object decode(ForwardedCommand c) {
        return switch (c.getCommandCase()) {
            case SET -> {
                SetRequest r = c.getSet();
                KvResult bad = badRequestId(r.hasRequestId(), r.getRequestId());
                yield bad != null ? bad : new KvRequest.Set(r.getKey(), r.getValue(), r.getTtlSeconds(),
                        requestId(r.hasRequestId(), r.getRequestId()));
            }
            case CAS -> {
                CasRequest r = c.getCas();
                KvResult bad = badRequestId(r.hasRequestId(), r.getRequestId());
                yield bad != null ? bad : new KvRequest.Cas(r.getKey(), r.getExpectedVersion(), r.getValue(),
                        r.getTtlSeconds(), requestId(r.hasRequestId(), r.getRequestId()));
            }
            case DELETE -> {
                DeleteRequest r = c.getDelete();
                KvResult bad = badRequestId(r.hasRequestId(), r.getRequestId());
                yield bad != null ? bad : new KvRequest.Delete(r.getKey(), requestId(r.hasRequestId(), r.getRequestId()));
            }
            case GET -> new KvRequest.Get(c.getGet().getKey());
            case GET_META -> new KvRequest.GetMeta(c.getGetMeta().getKey());
            case COMMAND_NOT_SET -> new KvResult.Invalid("forwarded command without a command", false);
        };
    }

    static ForwardedReply encode(long callId, KvResult result) {
        ForwardedReply.Builder b = ForwardedReply.newBuilder().setCallId(callId);
        if (result instanceof KvResult.Written w) {
            b.setWrittenVersion(w.version());
        } else if (result instanceof KvResult.Deleted) {
            b.setDeleted(true);
        } else if (result instanceof KvResult.Found f) {
            b.setFound(GetMetaResponse.newBuilder().setValue(f.value()).setVersion(f.version())
                    .setTtlSeconds(f.ttlSeconds()).setValueSize(f.value().size()));
        } else {
            StatusRuntimeException e = GrpcResults.toStatus(result);
            Metadata trailers = e.getTrailers();
            String leader = trailers == null ? null : trailers.get(GrpcResults.LEADER_KEY);
            String outcome = trailers == null ? null : trailers.get(GrpcResults.OUTCOME_KEY);
            String description = e.getStatus().getDescription();
            b.setError(ForwardError.newBuilder()
                    .setCode(e.getStatus().getCode().value())
                    .setDescription(description == null ? "" : description)
                    .setLeaderHint(leader == null ? "" : leader)
                    .setNotExecuted(GrpcResults.NOT_EXECUTED.equals(outcome)));
        }
        return b.build();
    }

    /** The result relayed for a reply, as {@link GrpcResults#fromStatus} relays a unary call's answer. */
    static KvResult decode(ForwardedReply reply) {
        return switch (reply.getResultCase()) {
            case WRITTEN_VERSION -> new KvResult.Written(reply.getWrittenVersion());
            case DELETED -> new KvResult.Deleted();
            case FOUND -> new KvResult.Found(reply.getFound().getValue(), reply.getFound().getVersion(),
                    reply.getFound().getTtlSeconds());
            case ERROR -> {
                ForwardError e = reply.getError();
                Metadata trailers = new Metadata();
                if (!e.getLeaderHint().isEmpty()) trailers.put(GrpcResults.LEADER_KEY, e.getLeaderHint());
                // Every error on this stream is the leader's own answer (gRPC's own fail the stream).
                trailers.put(GrpcResults.OUTCOME_KEY, e.getNotExecuted() ? GrpcResults.NOT_EXECUTED : GrpcResults.ANSWERED);
                Status status = Status.fromCodeValue(e.getCode())
                        .withDescription(e.getDescription().isEmpty() ? null : e.getDescription());
                yield GrpcResults.fromStatus(status, trailers);
            }
            case RESULT_NOT_SET -> new KvResult.Unavailable("no answer from the leader: an empty reply", null);
        };
    }

    private static raftkv.proto.kv.RequestId proto(RequestId id) {
        return raftkv.proto.kv.RequestId.newBuilder().setClientId(id.clientId()).setSequence(id.sequence()).build();
    }

    private static RequestId requestId(boolean present, raftkv.proto.kv.RequestId id) {
        return present ? new RequestId(id.getClientId(), id.getSequence()) : RequestId.NONE;
    }

    private static KvResult badRequestId(boolean present, raftkv.proto.kv.RequestId id) {
        String problem = present ? KvRules.requestIdProblem(id.getClientId(), id.getSequence()) : null;
        return problem == null ? null : new KvResult.Invalid(problem, false);
    }

    /**
     * Takes from the head of {@code queue} the items that fit in one message of at most
     * {@code maxMessageBytes} (with a margin for each item's framing), always at least one.
     */
    static <T extends com.google.protobuf.MessageLite> java.util.List<T> takeFitting(java.util.ArrayDeque<T> queue,
                                                                                    int maxMessageBytes) {
        java.util.List<T> out = new java.util.ArrayList<>();
        long bytes = 0;
        while (!queue.isEmpty()) {
            long size = queue.peekFirst().getSerializedSize() + 16L;
            if (!out.isEmpty() && bytes + size > maxMessageBytes) break;
            bytes += size;
            out.add(queue.pollFirst());
        }
        return out;
    }
}
