package raftkv.api;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import raftkv.config.ServerSpec;
import raftkv.node.KvResult;
import raftkv.node.MemberAddresses;
import raftkv.node.NodeStep;
import raftkv.node.RaftNode;
import raftkv.node.Timer;
import raftkv.proto.kv.Member;
import raftkv.proto.kv.MemberChangeRequest;
import raftkv.proto.kv.MemberChangeResponse;
import raftkv.proto.kv.MemberListResponse;
import raftkv.raft.Membership;
import raftkv.raft.MembershipChange;
import raftkv.raft.MembershipResult;
import raftkv.raft.RaftCore;

/**
 * kv.proto's MemberList and MemberChange (SPEC 9): reads and changes the membership through the
 * node's thread. A change is answered once committed; a follower sends the caller to the leader.
 */
final class MemberCalls {
    private final RaftNode node;
    private final MemberAddresses addresses;
    private final Timer timer;
    private final long commitTimeoutMillis;

    MemberCalls(RaftNode node, MemberAddresses addresses, Timer timer, long commitTimeoutMillis) {
        this.node = node;
        this.addresses = addresses;
        this.timer = timer;
        this.commitTimeoutMillis = commitTimeoutMillis;
    }

    private record View(Membership membership, long membershipIndex, SortedMap<Long, Long> matches, long lastIndex) {}

    void list(StreamObserver<MemberListResponse> out) {
        node.call(step -> new View(step.membership(), step.membershipIndex(), step.matchIndexes(), step.status().raft().lastIndex()))
                .orTimeout(5, TimeUnit.SECONDS)
                .whenComplete((v, error) -> {
                    if (error != null) {
                        out.onError(Status.UNAVAILABLE.withDescription("node " + node.id() + " is busy: " + error).asRuntimeException());
                        return;
                    }
                    long leader = node.knownLeader();
                    ServerSpec leaderSpec = leader == RaftCore.NONE || leader == node.id() ? null : addresses.spec(leader);
                    if (leaderSpec != null) { // only the leader knows match indexes: send the caller there
                        out.onError(GrpcResults.toStatus(new KvResult.Redirect(leaderSpec.clientAddress(), leaderSpec.logAddress())));
                        return;
                    }
                    MemberListResponse.Builder b = MemberListResponse.newBuilder().setNodeId(node.id())
                            .setMembershipIndex(v.membershipIndex()).setLeaderKnown(leader != RaftCore.NONE)
                            .setLeaderId(Math.max(0, leader)).setLastLogIndex(v.matches().isEmpty() ? 0 : v.lastIndex());
                    for (Membership.Member m : v.membership().members().values()) b.addMembers(member(m, v.matches()));
                    out.onNext(b.build());
                    out.onCompleted();
                });
    }

    void change(MemberChangeRequest req, StreamObserver<MemberChangeResponse> out) {
        MembershipChange change;
        try {
            change = toChange(req);
        } catch (IllegalArgumentException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        node.call(step -> step.changeMembership(change)).orTimeout(5, TimeUnit.SECONDS).whenComplete((r, error) -> {
            if (error != null) {
                out.onError(Status.UNAVAILABLE.withDescription("node " + node.id() + " is busy: " + error).asRuntimeException());
            } else if (r instanceof MembershipResult.Refused f) {
                out.onError(Status.FAILED_PRECONDITION.withDescription(f.reason()).asRuntimeException());
            } else if (r instanceof MembershipResult.NotLeader n) {
                ServerSpec leader = n.leaderHint() == RaftCore.NONE ? null : addresses.spec(n.leaderHint());
                out.onError(GrpcResults.toStatus(leader == null ? new KvResult.Unavailable("no leader known", null)
                        : new KvResult.Redirect(leader.clientAddress(), leader.logAddress())));
            } else {
                MembershipResult.Accepted a = (MembershipResult.Accepted) r;
                awaitCommit(a, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(commitTimeoutMillis), out);
            }
        });
    }

    private void awaitCommit(MembershipResult.Accepted a, long deadlineNanos, StreamObserver<MemberChangeResponse> out) {
        node.call(step -> step.committed(a.index(), a.term())).whenComplete((done, error) -> {
            if (error == null && done) {
                MemberChangeResponse.Builder b = MemberChangeResponse.newBuilder().setIndex(a.index());
                for (Membership.Member m : a.membership().members().values()) b.addMembers(member(m, Map.of()));
                out.onNext(b.build());
                out.onCompleted();
            } else if (error != null || System.nanoTime() - deadlineNanos >= 0) {
                out.onError(Status.DEADLINE_EXCEEDED.withDescription("the change at log entry " + a.index()
                        + " was not committed within " + commitTimeoutMillis + " ms; its outcome is unknown (see kvctl member list)")
                        .asRuntimeException());
            } else {
                timer.schedule(() -> awaitCommit(a, deadlineNanos, out), 10);
            }
        });
    }

    private Member member(Membership.Member m, Map<Long, Long> matches) {
        Member.Builder b = Member.newBuilder().setId(m.id()).setVoter(m.voter());
        ServerSpec spec = addresses.spec(m.id());
        if (spec != null) b.setClientAddress(spec.clientAddress()).setPeerAddress(spec.logAddress());
        Long match = matches.get(m.id());
        if (match != null) b.setMatchIndex(match).setMatchKnown(true);
        return b.build();
    }

    private static MembershipChange toChange(MemberChangeRequest req) {
        long id = req.getNodeId();
        if (id < 0 || id > Integer.MAX_VALUE) throw new IllegalArgumentException("node_id: " + Long.toUnsignedString(id) + " is out of range");
        return switch (req.getKind()) {
            case MEMBER_CHANGE_KIND_ADD_LEARNER -> new MembershipChange.AddLearner(id, address(req));
            case MEMBER_CHANGE_KIND_ADD_VOTER -> new MembershipChange.AddVoter(id, address(req));
            case MEMBER_CHANGE_KIND_PROMOTE -> new MembershipChange.Promote(id);
            case MEMBER_CHANGE_KIND_REMOVE -> new MembershipChange.Remove(id);
            default -> throw new IllegalArgumentException("kind: missing or unknown (" + req.getKindValue() + ")");
        };
    }

    private static Membership.Address address(MemberChangeRequest req) {
        if (req.getHost().isEmpty()) throw new IllegalArgumentException("host: missing (the new member's host name or address)");
        return new Membership.Address(req.getHost(), req.getClientPort(), req.getLogPort());
    }
}
