package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.transport.RecordingNode.next;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.AppendResponse;
import raftkv.proto.raft.Entry;
import raftkv.proto.raft.EntryType;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.raft.Message;

/** The node's gRPC server on loopback, called by a plain client with no limits of its own. */
class PeerServerTest {
    private static final int MAX_MESSAGE = GrpcTransport.maxMessageBytes(1 << 20);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final RecordingNode node = new RecordingNode();
    private GrpcTransport transport;
    private PeerServer server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        transport = new GrpcTransport(1, Map.of(2L, Loopback.target(Loopback.freePort())), MAX_MESSAGE);
        transport.start(node);
        server = PeerServer.start(Loopback.HOST, 0, MAX_MESSAGE, List.of(transport.peerService()));
        channel = NettyChannelBuilder.forAddress(Loopback.HOST, server.port()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
        transport.close();
    }

    private RaftPeerGrpc.RaftPeerBlockingStub stub() {
        return RaftPeerGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static AppendRequest append(int valueBytes) {
        return AppendRequest.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(2).setLeaderId(2).addEntries(Entry.newBuilder()
                .setIndex(1).setTerm(2).setType(EntryType.ENTRY_TYPE_NORMAL)
                .setData(ByteString.copyFrom(new byte[valueBytes]))).build();
    }

    @Test
    void refusesAnOversizedRequestWithResourceExhaustedAndKeepsServingTheConnection() {
        assertEquals(AppendResponse.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(2).setSuccess(true).setMatchIndex(1).build(),
                stub().appendEntries(append(1 << 20)));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub().appendEntries(append(4 << 20)));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertEquals(1, stub().appendEntries(append(10)).getMatchIndex());
        assertEquals(2, node.requests.size(), "the oversized request never reached the node");
    }

    @Test
    void callsAreServedOnTheSharedNetworkThreads() throws Exception {
        BlockingQueue<String> threads = new LinkedBlockingQueue<>();
        transport.peerService().start(new Transport.Inbound() {
            @Override public void onRequest(Message request, Consumer<Message> reply) {
                threads.add(Thread.currentThread().getName());
            }
            @Override public void onResponse(Message response) {}
            @Override public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {}
        });
        RaftPeerGrpc.newStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS).appendEntries(append(1), new StreamObserver<>() {
            @Override public void onNext(AppendResponse value) {}
            @Override public void onError(Throwable t) {}
            @Override public void onCompleted() {}
        });
        String thread = next(threads, WAIT);
        assertTrue(thread.startsWith("raftkv-net-"), "served on " + thread + ", not on NetLoops' threads");
        assertEquals(Math.max(1, Runtime.getRuntime().availableProcessors() / 2), NetLoops.THREADS);
    }

    @Test
    void aPortInUseIsOneClearError() {
        IOException e = assertThrows(IOException.class,
                () -> PeerServer.start(Loopback.HOST, server.port(), MAX_MESSAGE, List.of()));
        assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + server.port() + ": "), e.getMessage());
    }

    @Test
    void closeEndsCallsTheNodeNeverAnsweredAndReleasesThePort() throws Exception {
        BlockingQueue<Consumer<Message>> unanswered = new LinkedBlockingQueue<>();
        transport.peerService().start(new Transport.Inbound() {
            @Override public void onRequest(Message request, Consumer<Message> reply) {
                unanswered.add(reply);
            }
            @Override public void onResponse(Message response) {}
            @Override public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {}
        });
        BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
        RaftPeerGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).appendEntries(append(1), new StreamObserver<>() {
            @Override public void onNext(AppendResponse value) {}
            @Override public void onError(Throwable t) {
                failures.add(t);
            }
            @Override public void onCompleted() {}
        });
        next(unanswered, WAIT);

        long start = System.nanoTime();
        server.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(PeerServer.SHUTDOWN_GRACE.multipliedBy(2)) < 0, "close took " + took);
        Status.Code code = Status.fromThrowable(next(failures, WAIT)).getCode();
        assertTrue(code == Status.Code.UNAVAILABLE || code == Status.Code.CANCELLED, code::toString);

        server = PeerServer.start(Loopback.HOST, server.port(), MAX_MESSAGE, List.of()); // the port is free again
    }
}
