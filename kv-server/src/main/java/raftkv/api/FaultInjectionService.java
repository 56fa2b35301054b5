package raftkv.api;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import raftkv.node.RaftNode;
import raftkv.proto.testing.BlockRequest;
import raftkv.proto.testing.BlockState;
import raftkv.proto.testing.Direction;
import raftkv.proto.testing.FaultInjectionGrpc;
import raftkv.proto.testing.TransferLeadershipRequest;
import raftkv.proto.testing.TransferLeadershipResponse;
import raftkv.proto.testing.UnblockRequest;
import raftkv.transport.PartitionHook;

/**
 * FOR TESTS ONLY: testing.proto's FaultInjection service. The node registers it, beside the peer
 * and client services, only when its config says {@code "testFaultInjection": true}; it drives the
 * transport's {@link PartitionHook} and the Raft loop's leadership transfer. Handlers never block
 * (the gRPC server runs them on its network threads).
 */
public final class FaultInjectionService extends FaultInjectionGrpc.FaultInjectionImplBase {
    private final long selfId;
    private final Set<Long> peerIds;
    private final PartitionHook hook;
    private final RaftNode node;

    public FaultInjectionService(long selfId, Set<Long> peerIds, PartitionHook hook, RaftNode node) {
        this.selfId = selfId;
        this.peerIds = Set.copyOf(peerIds);
        this.hook = hook;
        this.node = node;
    }

    @Override
    public void block(BlockRequest req, StreamObserver<BlockState> out) {
        String bad = check(req.getPeerIdsList(), req.getDirection());
        if (bad != null) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(bad).asRuntimeException());
            return;
        }
        hook.block(req.getPeerIdsList(), outgoing(req.getDirection()), incoming(req.getDirection()));
        reply(out);
    }

    @Override
    public void unblock(UnblockRequest req, StreamObserver<BlockState> out) {
        if (req.getAll()) {
            hook.unblockAll();
            reply(out);
            return;
        }
        String bad = check(req.getPeerIdsList(), req.getDirection());
        if (bad != null) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(bad).asRuntimeException());
            return;
        }
        hook.unblock(req.getPeerIdsList(), outgoing(req.getDirection()), incoming(req.getDirection()));
        reply(out);
    }

    @Override
    public void transferLeadership(TransferLeadershipRequest req, StreamObserver<TransferLeadershipResponse> out) {
        long target = req.getTargetId();
        if (!peerIds.contains(target)) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("node " + target + " is not a peer of node " + selfId)
                    .asRuntimeException());
            return;
        }
        node.transferLeadership(target).orTimeout(5, TimeUnit.SECONDS).whenComplete((r, error) -> {
            if (error != null) {
                out.onError(Status.UNAVAILABLE.withDescription("node " + selfId + ": " + error).asRuntimeException());
                return;
            }
            out.onNext(TransferLeadershipResponse.newBuilder().setStarted(r.started()).setTerm(r.term()).build());
            out.onCompleted();
        });
    }

    /** What is wrong with a block or unblock request, or null. */
    private String check(List<Long> ids, Direction direction) {
        for (long id : ids) {
            if (!peerIds.contains(id)) return "node " + id + " is not a peer of node " + selfId + " (peers " + peerIds + ")";
        }
        if (direction == Direction.DIRECTION_UNSPECIFIED) return "direction is not set";
        if (direction == Direction.UNRECOGNIZED) return "unknown direction";
        return null;
    }

    private void reply(StreamObserver<BlockState> out) {
        out.onNext(BlockState.newBuilder().addAllOutgoing(hook.outgoing()).addAllIncoming(hook.incoming()).build());
        out.onCompleted();
    }

    private static boolean outgoing(Direction d) {
        return d == Direction.DIRECTION_OUTGOING || d == Direction.DIRECTION_BOTH;
    }

    private static boolean incoming(Direction d) {
        return d == Direction.DIRECTION_INCOMING || d == Direction.DIRECTION_BOTH;
    }
}
