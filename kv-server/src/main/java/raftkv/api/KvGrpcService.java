package raftkv.api;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import raftkv.config.ServerSpec;
import raftkv.kv.RequestId;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;
import raftkv.node.KvService;
import raftkv.node.RaftNode;
import raftkv.node.Timer;
import raftkv.proto.KvRules;
import raftkv.proto.kv.CasRequest;
import raftkv.proto.kv.CasResponse;
import raftkv.proto.kv.DeleteRequest;
import raftkv.proto.kv.DeleteResponse;
import raftkv.proto.kv.GetMetaRequest;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.MoveLeaderRequest;
import raftkv.proto.kv.MoveLeaderResponse;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.SaveSnapshotRequest;
import raftkv.proto.kv.SetRequest;
import raftkv.proto.kv.SnapshotData;
import raftkv.proto.kv.SetResponse;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;
import raftkv.node.MemberAddresses;
import raftkv.raft.RaftCore;

/** The client service of kv.proto: translates calls to {@link KvService} and results back. */
public final class KvGrpcService extends KeyValueGrpc.KeyValueImplBase {
    private final KvService service;
    private final RaftNode node;
    private final ServerSpec self;
    private final Function<Long, ServerSpec> servers;
    private final Timer timer;
    // How long MoveLeader waits for the target to lead: two election timeouts.
    private final long moveTimeoutMillis;
    private final SnapshotStreamer snapshots;
    private MemberCalls members;
    private MemberAddresses addresses;

    /**
     * @param servers           every server of the config by id, or null for an unknown id
     * @param timer             schedules MoveLeader's checks of whether the target leads yet
     * @param electionTimeoutMs the cluster's base election timeout
     */
    public KvGrpcService(KvService service, RaftNode node, ServerSpec self, Function<Long, ServerSpec> servers,
                         Timer timer, long electionTimeoutMs) {
        this.service = service;
        this.node = node;
        this.self = self;
        this.servers = servers;
        this.timer = timer;
        this.moveTimeoutMillis = 2 * electionTimeoutMs;
        this.snapshots = new SnapshotStreamer(service, node, self.id());
    }

    @Override
    public void set(SetRequest req, StreamObserver<SetResponse> out) {
        if (rejectZeroRequestId(req.hasRequestId(), req.getRequestId(), out)) return;
        run(new KvRequest.Set(req.getKey(), req.getValue(), req.getTtlSeconds(), requestId(req.hasRequestId(), req.getRequestId())),
                out, r -> r instanceof KvResult.Written w ? SetResponse.newBuilder().setVersion(w.version()).build() : null);
    }

    @Override
    public void get(GetRequest req, StreamObserver<GetResponse> out) {
        run(new KvRequest.Get(req.getKey()), out, r -> r instanceof KvResult.Found f
                ? GetResponse.newBuilder().setValue(f.value()).setVersion(f.version()).build() : null);
    }

    @Override
    public void getMeta(GetMetaRequest req, StreamObserver<GetMetaResponse> out) {
        run(new KvRequest.GetMeta(req.getKey()), out, r -> r instanceof KvResult.Found f
                ? GetMetaResponse.newBuilder().setVersion(f.version()).setTtlSeconds(f.ttlSeconds())
                        .setValueSize(f.value().size()).setValue(f.value()).build() : null);
    }

    @Override
    public void cas(CasRequest req, StreamObserver<CasResponse> out) {
        if (rejectZeroRequestId(req.hasRequestId(), req.getRequestId(), out)) return;
        run(new KvRequest.Cas(req.getKey(), req.getExpectedVersion(), req.getValue(), req.getTtlSeconds(),
                        requestId(req.hasRequestId(), req.getRequestId())),
                out, r -> r instanceof KvResult.Written w ? CasResponse.newBuilder().setVersion(w.version()).build() : null);
    }

    @Override
    public void delete(DeleteRequest req, StreamObserver<DeleteResponse> out) {
        if (rejectZeroRequestId(req.hasRequestId(), req.getRequestId(), out)) return;
        run(new KvRequest.Delete(req.getKey(), requestId(req.hasRequestId(), req.getRequestId())),
                out, r -> r instanceof KvResult.Deleted ? DeleteResponse.getDefaultInstance() : null);
    }

    @Override
    public void status(StatusRequest req, StreamObserver<StatusResponse> out) {
        node.status().orTimeout(5, TimeUnit.SECONDS).whenComplete((s, error) -> {
            if (error != null) {
                out.onError(Status.UNAVAILABLE.withDescription("node busy: " + error).asRuntimeException());
                return;
            }
            var raft = s.raft();
            StatusResponse.Builder b = StatusResponse.newBuilder()
                    .setNodeId(self.id())
                    .setClientAddress(self.clientAddress())
                    .setPeerAddress(self.logAddress())
                    .setRole(switch (raft.role()) {
                        case LEADER -> Role.ROLE_LEADER;
                        case CANDIDATE -> Role.ROLE_CANDIDATE;
                        case PRE_CANDIDATE -> Role.ROLE_PRE_CANDIDATE;
                        case FOLLOWER -> Role.ROLE_FOLLOWER;
                    })
                    .setTerm(raft.term())
                    .setCommitIndex(raft.commitIndex())
                    .setAppliedIndex(s.appliedIndex())
                    .setLastLogIndex(raft.lastIndex());
            ServerSpec leaderSpec = raft.leader() == RaftCore.NONE ? null : servers.apply(raft.leader());
            if (raft.leader() != RaftCore.NONE) {
                b.setLeaderKnown(true).setLeaderId(raft.leader()).setLeaderAddress(leaderSpec == null ? "" : leaderSpec.logAddress());
            }
            MemberAddresses book = addresses;
            if (book != null) {
                b.setLearner(book.membership().isLearner(self.id())).setNotMember(!book.membership().contains(self.id()));
            }
            out.onNext(b.build());
            out.onCompleted();
        });
    }

    @Override
    public void moveLeader(MoveLeaderRequest req, StreamObserver<MoveLeaderResponse> out) {
        long target = req.getTargetId();
        if (target > Integer.MAX_VALUE || servers.apply(target) == null) {
            out.onError(GrpcResults.toStatus(new KvResult.Invalid("no node " + Long.toUnsignedString(target)
                    + " in the cluster", false)));
            return;
        }
        node.transferLeadership(target).orTimeout(5, TimeUnit.SECONDS).whenComplete((r, error) -> {
            long leader = node.knownLeader();
            if (error != null) {
                out.onError(GrpcResults.toStatus(new KvResult.Unavailable("node " + self.id() + " is busy: " + error, null)));
            } else if (r.started() || leader == target) {
                awaitLeader(target, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(moveTimeoutMillis), out);
            } else if (leader == RaftCore.NONE) {
                out.onError(GrpcResults.toStatus(new KvResult.Unavailable("no leader known", null)));
            } else {
                ServerSpec s = servers.apply(leader);
                out.onError(GrpcResults.toStatus(new KvResult.Redirect(s.clientAddress(), s.logAddress())));
            }
        });
    }

    @Override
    public void saveSnapshot(SaveSnapshotRequest req, StreamObserver<SnapshotData> out) {
        snapshots.save(out);
    }

    /** Answers MoveLeader once this node follows {@code target} (or leads, if it is the target). */
    private void awaitLeader(long target, long deadlineNanos, StreamObserver<MoveLeaderResponse> out) {
        node.status().whenComplete((s, error) -> {
            if (error == null && s.raft().leader() == target) {
                out.onNext(MoveLeaderResponse.newBuilder().setTerm(s.raft().term()).build());
                out.onCompleted();
            } else if (System.nanoTime() - deadlineNanos >= 0) {
                out.onError(GrpcResults.toStatus(new KvResult.Unavailable("node " + target + " did not take over within "
                        + moveTimeoutMillis + " ms", null)));
            } else {
                timer.schedule(() -> awaitLeader(target, deadlineNanos, out), 10);
            }
        });
    }

    /** Membership calls (SPEC 9), when the node wires them in; UNIMPLEMENTED otherwise. */
    public KvGrpcService withMembers(MemberAddresses addresses) {
        this.members = new MemberCalls(node, addresses, timer, moveTimeoutMillis * 5);
        this.addresses = addresses;
        return this;
    }

    @Override
    public void memberList(raftkv.proto.kv.MemberListRequest req, StreamObserver<raftkv.proto.kv.MemberListResponse> out) {
        if (members == null) super.memberList(req, out);
        else members.list(out);
    }

    @Override
    public void memberChange(raftkv.proto.kv.MemberChangeRequest req, StreamObserver<raftkv.proto.kv.MemberChangeResponse> out) {
        if (members == null) super.memberChange(req, out);
        else members.change(req, out);
    }

    private <T> void run(KvRequest request, StreamObserver<T> out, Function<KvResult, T> success) {
        CompletableFuture<KvResult> result = service.execute(request, !KvCallInterceptor.FORWARDED.get());
        result.whenComplete((r, error) -> {
            if (error != null) {
                out.onError(Status.INTERNAL.withDescription(error.toString()).asRuntimeException());
                return;
            }
            T response = success.apply(r);
            if (response != null) {
                out.onNext(response);
                out.onCompleted();
            } else {
                out.onError(GrpcResults.toStatus(r));
            }
        });
    }

    private static RequestId requestId(boolean present, raftkv.proto.kv.RequestId id) {
        if (!present) return RequestId.NONE;
        return new RequestId(id.getClientId(), id.getSequence());
    }

    /**
     * kv.proto: a request_id that is set must have a non-zero client_id and sequence. Only here is
     * "set" visible: inside the node a RequestId of 0/0 is {@link RequestId#NONE}, so a set id
     * of 0/0 would otherwise silently turn deduplication off. {@link KvService#validate} checks the
     * ids with one zero field for both front doors; this catches both-zero too.
     *
     * @return true if the call was answered INVALID_ARGUMENT
     */
    private static boolean rejectZeroRequestId(boolean present, raftkv.proto.kv.RequestId id, StreamObserver<?> out) {
        String problem = present ? KvRules.requestIdProblem(id.getClientId(), id.getSequence()) : null;
        if (problem == null) return false;
        out.onError(GrpcResults.toStatus(new KvResult.Invalid(problem, false)));
        return true;
    }

}
