package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.transport.RecordingNode.next;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.Entry;
import raftkv.proto.raft.EntryType;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.proto.raft.TimeoutNowRequest;
import raftkv.proto.raft.VoteRequest;
import raftkv.proto.raft.VoteResponse;
import raftkv.raft.Message;

/** The server side alone, through an in-process channel. */
class RaftPeerServiceTest {
    private static final long SELF = 1;
    private static final long PEER = 2;
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final RaftPeerService service = new RaftPeerService(SELF, Set.of(PEER, 3L), SnapshotSource.none(), Runnable::run,
            new ClusterGuard(SELF, GrpcTransport.TEST_CLUSTER_ID));
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private RaftPeerGrpc.RaftPeerBlockingStub stub() {
        return RaftPeerGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static VoteRequest vote(long from) {
        return VoteRequest.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(3).setCandidateId(from).setLastLogIndex(5).setLastLogTerm(2).build();
    }

    @Test
    void answersTheNodesReplyEvenFromAnotherThreadLater() throws Exception {
        CompletableFuture<Consumer<Message>> pending = new CompletableFuture<>();
        BlockingQueue<Message> seen = new LinkedBlockingQueue<>();
        service.start(new Transport.Inbound() {
            @Override public void onRequest(Message request, Consumer<Message> reply) {
                seen.add(request);
                pending.complete(reply);
            }
            @Override public void onResponse(Message response) {}
            @Override public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {}
        });
        BlockingQueue<Object> outcome = new LinkedBlockingQueue<>();
        RaftPeerGrpc.newStub(channel).withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .requestVote(vote(PEER), observer(outcome));
        assertEquals(new Message.VoteRequest(PEER, SELF, 3, 5, 2, false, false), next(seen, WAIT));
        assertTrue(outcome.isEmpty(), "no answer before the node replies");

        CompletableFuture.runAsync(() -> pending.join().accept(new Message.VoteResponse(SELF, PEER, 3, true, false)));
        assertEquals(VoteResponse.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(3).setVoteGranted(true).build(), next(outcome, WAIT));
    }

    @Test
    void timeoutNowIsAnsweredWithTheRequestsTermWhenTheNodeRepliesNull() {
        RecordingNode node = new RecordingNode();
        service.start(node);
        var answer = stub().timeoutNow(TimeoutNowRequest.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(7).setLeaderId(3).build());
        assertEquals(7, answer.getTerm());
        assertEquals(new Message.TimeoutNow(3, SELF, 7), node.requests.poll());
    }

    @Test
    void refusesCallsBeforeStartAndAfterStop() {
        assertCode(Status.Code.UNAVAILABLE, () -> stub().requestVote(vote(PEER)));
        service.start(new RecordingNode());
        stub().requestVote(vote(PEER));
        service.stop();
        assertCode(Status.Code.UNAVAILABLE, () -> stub().requestVote(vote(PEER)));
    }

    // Issue 10, item 6: a message from another cluster, or with no cluster id, never reaches the node.
    @Test
    void refusesRequestsOfAnotherClusterOrWithoutOneWithoutBotheringTheNode() {
        RecordingNode node = new RecordingNode();
        service.start(node);
        long other = GrpcTransport.TEST_CLUSTER_ID + 1;
        StatusRuntimeException e = assertCode(Status.Code.PERMISSION_DENIED,
                () -> stub().requestVote(vote(PEER).toBuilder().setClusterId(other).build()));
        assertTrue(e.getStatus().getDescription().startsWith("cluster id " + Long.toHexString(other)), e.getStatus().getDescription());
        assertCode(Status.Code.PERMISSION_DENIED, () -> stub().requestVote(vote(PEER).toBuilder().clearClusterId().build()));
        assertCode(Status.Code.PERMISSION_DENIED, () -> stub().appendEntries(
                AppendRequest.newBuilder().setClusterId(other).setTerm(2).setLeaderId(PEER).build()));
        assertCode(Status.Code.PERMISSION_DENIED, () -> stub().timeoutNow(
                TimeoutNowRequest.newBuilder().setClusterId(other).setTerm(2).setLeaderId(PEER).build()));
        assertTrue(node.requests.isEmpty());

        // Our own cluster's still pass, and the answer carries our id.
        assertEquals(GrpcTransport.TEST_CLUSTER_ID, stub().requestVote(vote(PEER)).getClusterId());
    }

    // Issue 10, item 7: terms beyond 2^62 are refused at the codec, before the node sees them.
    @Test
    void refusesATermAboveTheBoundWithoutBotheringTheNode() {
        RecordingNode node = new RecordingNode();
        service.start(node);
        StatusRuntimeException e = assertCode(Status.Code.INVALID_ARGUMENT, () -> stub().appendEntries(AppendRequest.newBuilder()
                .setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(Long.MAX_VALUE).setLeaderId(PEER).build()));
        assertTrue(e.getStatus().getDescription().contains("above the bound of 2^62"), e.getStatus().getDescription());
        assertTrue(node.requests.isEmpty());
    }

    @Test
    void refusesMalformedRequestsWithoutBotheringTheNode() {
        RecordingNode node = new RecordingNode();
        service.start(node);
        AppendRequest badEntry = AppendRequest.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(2).setLeaderId(PEER)
                .addEntries(Entry.newBuilder().setIndex(1).setTerm(2).setTypeValue(9)).build();
        StatusRuntimeException e = assertCode(Status.Code.INVALID_ARGUMENT, () -> stub().appendEntries(badEntry));
        assertEquals("AppendRequest.entries[0].type: unknown entry type 9", e.getStatus().getDescription());

        AppendRequest noType = AppendRequest.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(2).setLeaderId(PEER)
                .addEntries(Entry.newBuilder().setIndex(1).setTerm(2).setType(EntryType.ENTRY_TYPE_UNSPECIFIED)).build();
        assertCode(Status.Code.INVALID_ARGUMENT, () -> stub().appendEntries(noType));

        e = assertCode(Status.Code.INVALID_ARGUMENT, () -> stub().timeoutNow(
                TimeoutNowRequest.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(2).setLeaderId(4).build()));
        assertTrue(e.getStatus().getDescription().startsWith("node 4 is not a peer of node 1"), e.getStatus().getDescription());
        assertCode(Status.Code.INVALID_ARGUMENT, () -> stub().requestVote(vote(SELF)));
        assertTrue(node.requests.isEmpty());
    }

    @Test
    void aWrongReplyFailsTheCallAndThrowsToTheNode() {
        CompletableFuture<RuntimeException> thrown = new CompletableFuture<>();
        service.start(new Transport.Inbound() {
            @Override public void onRequest(Message request, Consumer<Message> reply) {
                try {
                    reply.accept(new Message.AppendResponse(SELF, PEER, 3, true, 0, 0, 0, 0, 0));
                } catch (RuntimeException e) {
                    thrown.complete(e);
                }
            }
            @Override public void onResponse(Message response) {}
            @Override public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {}
        });
        assertCode(Status.Code.INTERNAL, () -> stub().requestVote(vote(PEER)));
        assertTrue(thrown.join() instanceof IllegalArgumentException);
    }

    @Test
    void replyingTwiceIsACallerBug() {
        CompletableFuture<Consumer<Message>> saved = new CompletableFuture<>();
        service.start(new Transport.Inbound() {
            @Override public void onRequest(Message request, Consumer<Message> reply) {
                reply.accept(new Message.VoteResponse(SELF, PEER, 3, false, false));
                saved.complete(reply);
            }
            @Override public void onResponse(Message response) {}
            @Override public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {}
        });
        assertEquals(false, stub().requestVote(vote(PEER)).getVoteGranted());
        var again = new Message.VoteResponse(SELF, PEER, 3, true, false);
        assertThrows(IllegalStateException.class, () -> saved.join().accept(again));
    }

    @Test
    void replyingAfterTheCallerGaveUpIsHarmless() throws Exception {
        CompletableFuture<Consumer<Message>> saved = new CompletableFuture<>();
        service.start(new Transport.Inbound() {
            @Override public void onRequest(Message request, Consumer<Message> reply) {
                saved.complete(reply);
            }
            @Override public void onResponse(Message response) {}
            @Override public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {}
        });
        BlockingQueue<Object> outcome = new LinkedBlockingQueue<>();
        RaftPeerGrpc.newStub(channel).withDeadlineAfter(50, TimeUnit.MILLISECONDS).requestVote(vote(PEER), observer(outcome));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, Status.fromThrowable((Throwable) next(outcome, WAIT)).getCode());
        saved.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).accept(new Message.VoteResponse(SELF, PEER, 3, true, false));
    }

    @Test
    void aNodeThatDoesNotTakeTheRequestMakesItUnavailable() {
        service.start(new Transport.Inbound() {
            @Override public void onRequest(Message request, Consumer<Message> reply) {
                throw new IllegalStateException("queue full");
            }
            @Override public void onResponse(Message response) {}
            @Override public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {}
        });
        assertCode(Status.Code.UNAVAILABLE, () -> stub().requestVote(vote(PEER)));
    }

    @Test
    void aNullReplyToAVoteOrAnAppendMakesItUnavailable() {
        service.start(new Transport.Inbound() {
            @Override public void onRequest(Message request, Consumer<Message> reply) {
                reply.accept(null);
            }
            @Override public void onResponse(Message response) {}
            @Override public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {}
        });
        assertCode(Status.Code.UNAVAILABLE, () -> stub().requestVote(vote(PEER)));
    }

    /** Puts the answer, or the error, into {@code outcome}. */
    private static <T> StreamObserver<T> observer(BlockingQueue<Object> outcome) {
        return new StreamObserver<>() {
            @Override public void onNext(T value) {
                outcome.add(value);
            }
            @Override public void onError(Throwable t) {
                outcome.add(t);
            }
            @Override public void onCompleted() {}
        };
    }

    private static StatusRuntimeException assertCode(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), () -> e.getStatus().toString());
        return e;
    }
}
