package raftkv.transport;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.AppendResponse;
import raftkv.proto.raft.InstallSnapshotResponse;
import raftkv.proto.raft.PeerMessage;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.proto.raft.ReadIndexAck;
import raftkv.proto.raft.ReadIndexRequest;
import raftkv.proto.raft.ReadIndexResponse;
import raftkv.proto.raft.SnapshotChunk;
import raftkv.proto.raft.TimeoutNowRequest;
import raftkv.proto.raft.TimeoutNowResponse;
import raftkv.proto.raft.VoteRequest;
import raftkv.proto.raft.VoteResponse;
import raftkv.raft.Message;

/**
 * The server side of {@code raft.proto}: decodes each call, or each message of an Exchange stream,
 * hands it to the node through {@link Transport.Inbound#onRequest}, and completes the call (or
 * writes the answer on the stream) when the node replies, on whatever thread that is. A node that
 * never replies leaves the call to the caller's deadline. A message on a stream passes the same
 * checks as its unary call, but one refused is dropped rather than answered with a status, so
 * that the stream goes on.
 *
 * <p>Answers {@code UNAVAILABLE} before the transport is started and after it is closed, and {@code
 * INVALID_ARGUMENT} for a request that breaks the protocol's contract (see {@link ProtoCodec}) or
 * comes from a node that is not this node's peer. With a test {@link PartitionHook} installed,
 * requests from the peers it refuses are answered {@code UNAVAILABLE} without reaching the node.
 *
 * <p>InstallSnapshot streams go to a {@link SnapshotReceiver}, which writes them to files of the
 * node's {@link SnapshotSource} off the network threads and hands each complete snapshot to
 * {@link Transport.Inbound#onSnapshot}.
 *
 * <p>Obtained from {@link GrpcTransport#peerService()} and added to the node's {@link PeerServer}.
 */
public final class RaftPeerService extends RaftPeerGrpc.RaftPeerImplBase {
    private static final Logger log = LoggerFactory.getLogger(RaftPeerService.class);

    private final long selfId;
    private final Set<Long> peerIds;
    private final LogLimiter invalidRequestWarnings = new LogLimiter(Duration.ofSeconds(30));
    private final SnapshotReceiver snapshots;
    private final ClusterGuard cluster;
    // The highest term in any peer request this service passed on or in any answer of this node:
    // a lower bound on a term some node holds, and, once the node has answered, on its own. A
    // snapshot stream of a lower term comes from a deposed leader and is refused before a byte is
    // written.
    private final AtomicLong highestTerm = new AtomicLong();
    // Null before start and after stop: calls are then refused with UNAVAILABLE.
    private volatile Transport.Inbound inbound;
    // Null unless a test config installed one (see GrpcTransport#installPartitionHook).
    private volatile PartitionHook partitionHook;

    /**
     * @param source where incoming snapshots are written
     * @param io     runs the blocking file work of incoming snapshots; never a network thread
     */
    RaftPeerService(long selfId, Set<Long> peerIds, SnapshotSource source, Executor io, ClusterGuard cluster) {
        this.selfId = selfId;
        this.peerIds = peerIds; // may be a live view: members come and go
        this.cluster = cluster;
        this.snapshots = new SnapshotReceiver(selfId, peerIds, source, io, () -> inbound, peer -> {
            PartitionHook hook = partitionHook;
            return hook != null && hook.refusesIncoming(peer);
        }, cluster, highestTerm);
    }

    void start(Transport.Inbound inbound) {
        this.inbound = inbound;
    }

    /** Refuses calls from now on and deletes the partial snapshots received. */
    void stop() {
        this.inbound = null;
        snapshots.close();
    }

    void installPartitionHook(PartitionHook hook) {
        this.partitionHook = hook;
    }

    @Override
    public void requestVote(VoteRequest request, StreamObserver<VoteResponse> call) {
        serve("RequestVote", call, request.getClusterId(), request.getCandidateId(), () -> ProtoCodec.fromProto(request, selfId),
                this::voteAnswer);
    }

    @Override
    public void appendEntries(AppendRequest request, StreamObserver<AppendResponse> call) {
        serve("AppendEntries", call, request.getClusterId(), request.getLeaderId(), () -> ProtoCodec.fromProto(request, selfId),
                this::appendAnswer);
    }

    private VoteResponse voteAnswer(Message request, Message reply) {
        return cluster.stamp(ProtoCodec.toProto(expect(request, reply, Message.VoteResponse.class)));
    }

    private AppendResponse appendAnswer(Message request, Message reply) {
        return cluster.stamp(ProtoCodec.toProto(expect(request, reply, Message.AppendResponse.class)));
    }

    /**
     * The core has no response to TimeoutNow, so the node replies with null and the answer
     * carries the request's term: the transport does not see the node's own term.
     */
    @Override
    public void timeoutNow(TimeoutNowRequest request, StreamObserver<TimeoutNowResponse> call) {
        serve("TimeoutNow", call, request.getClusterId(), request.getLeaderId(), () -> ProtoCodec.fromProto(request, selfId), (req, reply) -> {
            requireNoReply(req, reply);
            return cluster.stamp(ProtoCodec.timeoutNowResponse(req.term()));
        });
    }

    /** One-way, as TimeoutNow: the node replies null, and the leader answers later with a ReadIndexReply call. */
    @Override
    public void readIndex(ReadIndexRequest request, StreamObserver<ReadIndexAck> call) {
        serve("ReadIndex", call, request.getClusterId(), request.getFollowerId(), () -> ProtoCodec.fromProto(request, selfId),
                (req, reply) -> oneWayAck(req, reply));
    }

    /** One-way: the leader's answer to a ReadIndex request this node sent. */
    @Override
    public void readIndexReply(ReadIndexResponse request, StreamObserver<ReadIndexAck> call) {
        serve("ReadIndexReply", call, request.getClusterId(), request.getLeaderId(), () -> ProtoCodec.fromProto(request, selfId),
                (req, reply) -> oneWayAck(req, reply));
    }

    private ReadIndexAck oneWayAck(Message request, Message reply) {
        requireNoReply(request, reply);
        return cluster.stamp(ProtoCodec.readIndexAck(request.term()));
    }

    /** A one-way message (TimeoutNow, ReadIndex, ReadIndexReply) has no response: the node replies null. */
    private static void requireNoReply(Message request, Message reply) {
        if (reply != null) throw new IllegalArgumentException(request.getClass().getSimpleName() + " has no response: reply with null, got " + reply);
    }

    /**
     * One peer's Exchange stream (raft.proto): each message is admitted and handed to the node as its
     * unary call would be; answers to votes and appends go back on the stream, whose writes are
     * serialized here (the node answers from its own thread, refusals come from the network
     * thread). A refused or untaken message is dropped, as if lost, and the stream goes on.
     */
    @Override
    public StreamObserver<PeerMessage> exchange(StreamObserver<PeerMessage> observer) {
        ServerCallStreamObserver<PeerMessage> out = (ServerCallStreamObserver<PeerMessage>) observer;
        if (inbound == null) {
            out.onError(Status.UNAVAILABLE.withDescription("node " + selfId + " is not serving Raft yet or any more").asRuntimeException());
            return new StreamObserver<>() {
                @Override public void onNext(PeerMessage m) {}
                @Override public void onError(Throwable t) {}
                @Override public void onCompleted() {}
            };
        }
        ExchangeAnswers answers = new ExchangeAnswers(out);
        out.setOnCancelHandler(answers::cancelled);
        answers.write(PeerMessage.getDefaultInstance()); // the stream is served
        return new StreamObserver<>() {
            @Override
            public void onNext(PeerMessage m) {
                exchangeOne(m, answers);
            }

            @Override
            public void onError(Throwable t) {
                answers.cancelled();
            }

            @Override
            public void onCompleted() {
                answers.complete();
            }
        };
    }

    private void exchangeOne(PeerMessage m, ExchangeAnswers answers) {
        switch (m.getBodyCase()) {
            case VOTE_REQUEST -> {
                VoteRequest q = m.getVoteRequest();
                exchangeRequest("RequestVote", q.getClusterId(), q.getCandidateId(), () -> ProtoCodec.fromProto(q, selfId),
                        (req, reply) -> PeerMessage.newBuilder().setVoteResponse(voteAnswer(req, reply)).build(), answers);
            }
            case APPEND_REQUEST -> {
                AppendRequest q = m.getAppendRequest();
                exchangeRequest("AppendEntries", q.getClusterId(), q.getLeaderId(), () -> ProtoCodec.fromProto(q, selfId),
                        (req, reply) -> PeerMessage.newBuilder().setAppendResponse(appendAnswer(req, reply)).build(), answers);
            }
            case TIMEOUT_NOW -> {
                TimeoutNowRequest q = m.getTimeoutNow();
                exchangeRequest("TimeoutNow", q.getClusterId(), q.getLeaderId(), () -> ProtoCodec.fromProto(q, selfId),
                        this::noAnswer, answers);
            }
            case READ_INDEX -> {
                ReadIndexRequest q = m.getReadIndex();
                exchangeRequest("ReadIndex", q.getClusterId(), q.getFollowerId(), () -> ProtoCodec.fromProto(q, selfId),
                        this::noAnswer, answers);
            }
            case READ_INDEX_REPLY -> {
                ReadIndexResponse q = m.getReadIndexReply();
                exchangeRequest("ReadIndexReply", q.getClusterId(), q.getLeaderId(), () -> ProtoCodec.fromProto(q, selfId),
                        this::noAnswer, answers);
            }
            default -> {
                String why = "an Exchange stream carries requests, not " + m.getBodyCase();
                if (invalidRequestWarnings.allow()) log.warn("Exchange message refused: {}", why);
                else log.debug("Exchange message refused: {}", why);
            }
        }
    }

    /** A one-way message's answer on the stream: none (null, written as nothing). */
    private PeerMessage noAnswer(Message request, Message reply) {
        requireNoReply(request, reply);
        return null;
    }

    private void exchangeRequest(String rpc, long clusterId, long sender, Supplier<Message> decode,
                                 BiFunction<Message, Message, PeerMessage> encodeReply, ExchangeAnswers answers) {
        Responder<PeerMessage> responder = new Responder<>() {
            @Override
            public void refuse(Status status) {
                log.debug("{} on an Exchange stream dropped: {}", rpc, status);
            }

            @Override
            public void answer(PeerMessage response, Status status) {
                if (status.isOk()) {
                    if (response != null) answers.write(response);
                } else {
                    log.debug("{} on an Exchange stream not answered: {}", rpc, status);
                }
            }
        };
        Message request = admit(rpc, clusterId, sender, decode, responder);
        if (request != null) handOver(rpc, request, encodeReply, responder);
    }

    /** The answering side of one Exchange stream: writes serialized, none after the stream ended. */
    private static final class ExchangeAnswers {
        private final ServerCallStreamObserver<PeerMessage> out;
        // Guarded by this.
        private boolean ended;

        ExchangeAnswers(ServerCallStreamObserver<PeerMessage> out) {
            this.out = out;
        }

        synchronized void write(PeerMessage m) {
            if (ended) return;
            try {
                out.onNext(m);
            } catch (RuntimeException e) {
                ended = true;
                log.debug("could not answer on an Exchange stream whose caller has gone: {}", e.toString());
            }
        }

        synchronized void complete() {
            if (ended) return;
            ended = true;
            try {
                out.onCompleted();
            } catch (RuntimeException e) {
                log.debug("could not end an Exchange stream whose caller has gone: {}", e.toString());
            }
        }

        synchronized void cancelled() {
            ended = true;
        }
    }

    /** See {@link SnapshotReceiver}. */
    @Override
    public StreamObserver<SnapshotChunk> installSnapshot(StreamObserver<InstallSnapshotResponse> call) {
        return snapshots.open((ServerCallStreamObserver<InstallSnapshotResponse>) call);
    }

    /**
     * @param clusterId the request's cluster_id, checked before anything else
     * @param sender    the request's sender as it names itself, for the log of a foreign cluster
     */
    private <Q> void serve(String rpc, StreamObserver<Q> observer, long clusterId, long sender, Supplier<Message> decode,
                           BiFunction<Message, Message, Q> encodeReply) {
        ServerCallStreamObserver<Q> call = (ServerCallStreamObserver<Q>) observer;
        Responder<Q> unary = new Responder<>() {
            @Override
            public void refuse(Status status) {
                call.onError(status.asRuntimeException());
            }

            @Override
            public void answer(Q response, Status status) {
                finish(call, response, status);
            }
        };
        Message request = admit(rpc, clusterId, sender, decode, unary);
        if (request == null) return;
        // Without a cancel handler, answering a call its client already gave up on would throw.
        call.setOnCancelHandler(() -> log.debug("{} from node {} cancelled by the caller", rpc, request.from()));
        handOver(rpc, request, encodeReply, unary);
    }

    /** How a request is answered: by completing its unary call, or on an Exchange stream. */
    private interface Responder<Q> {
        /** The request is refused before it reaches the node. */
        void refuse(Status status);

        /** The node's answer ({@code response}, null unless {@code status} is OK), or its failure to take the request. */
        void answer(Q response, Status status);
    }

    /**
     * The checks every request passes before it reaches the node: the node serves Raft, the cluster
     * id is this cluster's, the message is well formed and from a peer, and no test hook refuses it.
     * Returns the decoded request, or null after refusing it through {@code responder}.
     */
    private Message admit(String rpc, long clusterId, long sender, Supplier<Message> decode, Responder<?> responder) {
        Transport.Inbound in = inbound;
        if (in == null) {
            responder.refuse(Status.UNAVAILABLE.withDescription("node " + selfId + " is not serving Raft yet or any more"));
            return null;
        }
        if (!cluster.admits(clusterId, rpc + " from", sender)) {
            responder.refuse(Status.PERMISSION_DENIED.withDescription(cluster.refusal(clusterId)));
            return null;
        }
        Message request;
        try {
            request = decode.get();
            // A leader or a candidate may be a member this node has not heard of yet (its own log
            // will tell): the core judges AppendEntries and RequestVote from unknown senders;
            // everything else must come from a peer.
            boolean mayBeUnknown = request instanceof Message.AppendRequest || request instanceof Message.VoteRequest;
            if (request.from() == selfId || (!peerIds.contains(request.from()) && !mayBeUnknown)) {
                throw new IllegalArgumentException("node " + request.from() + " is not a peer of node " + selfId
                        + " (peers " + peerIds + ")");
            }
        } catch (IllegalArgumentException e) {
            if (invalidRequestWarnings.allow()) log.warn("{} refused: {}", rpc, e.getMessage());
            else log.debug("{} refused: {}", rpc, e.getMessage());
            responder.refuse(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
            return null;
        }
        PartitionHook hook = partitionHook;
        if (hook != null && hook.refusesIncoming(request.from())) {
            // As a cut link would fail it: the request never reaches the node.
            responder.refuse(Status.UNAVAILABLE.withDescription("node " + selfId + " refuses node " + request.from()
                    + ": blocked by the test fault hook"));
            return null;
        }
        highestTerm.accumulateAndGet(request.term(), Math::max);
        return request;
    }

    /** Hands an admitted request to the node; its answer, encoded, goes to {@code responder}. */
    private <Q> void handOver(String rpc, Message request, BiFunction<Message, Message, Q> encodeReply, Responder<Q> responder) {
        Transport.Inbound in = inbound;
        if (in == null) {
            responder.refuse(Status.UNAVAILABLE.withDescription("node " + selfId + " is not serving Raft any more"));
            return;
        }
        AtomicBoolean replied = new AtomicBoolean();
        Consumer<Message> reply = response -> {
            if (!replied.compareAndSet(false, true)) {
                throw new IllegalStateException(rpc + " from node " + request.from() + " answered twice: " + response);
            }
            if (response != null) highestTerm.accumulateAndGet(response.term(), Math::max);
            if (response == null && Message.isRequest(request)) {
                // The node did not take the request (its queue is full, or it is stopping): the
                // peer retries, as after a lost message.
                responder.answer(null, Status.UNAVAILABLE.withDescription("node " + selfId + " did not take the request"));
                return;
            }
            Q encoded;
            try {
                encoded = encodeReply.apply(request, response);
            } catch (RuntimeException e) {
                responder.answer(null, Status.INTERNAL.withDescription("node " + selfId + " gave a wrong answer"));
                throw e;
            }
            responder.answer(encoded, Status.OK);
        };
        try {
            in.onRequest(request, reply);
        } catch (RuntimeException e) {
            log.warn("{} from node {}: the node did not take the request", rpc, request.from(), e);
            if (replied.compareAndSet(false, true)) {
                responder.answer(null, Status.UNAVAILABLE.withDescription("node " + selfId + " did not take the request"));
            }
        }
    }

    /** The reply must be the response type of the request, from this node, to the requester. */
    private <R extends Message> R expect(Message request, Message reply, Class<R> type) {
        if (!type.isInstance(reply)) {
            throw new IllegalArgumentException("the answer to " + request + " must be a " + type.getSimpleName() + ", got " + reply);
        }
        if (reply.from() != selfId || reply.to() != request.from()) {
            throw new IllegalArgumentException("the answer to " + request + " must go from " + selfId + " to "
                    + request.from() + ", got " + reply);
        }
        return type.cast(reply);
    }

    /** Completes the call; if the caller has gone (cancelled, deadline passed), nothing is left to do. */
    private static <Q> void finish(ServerCallStreamObserver<Q> call, Q response, Status status) {
        try {
            if (call.isCancelled()) return;
            if (status.isOk()) {
                call.onNext(response);
                call.onCompleted();
            } else {
                call.onError(status.asRuntimeException());
            }
        } catch (RuntimeException e) {
            log.debug("could not answer a call whose caller has gone: {}", e.toString());
        }
    }
}
