package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.transport.RecordingNode.next;

import com.google.protobuf.ByteString;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.proto.raft.InstallSnapshotResponse;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.proto.raft.SnapshotChunk;
import raftkv.proto.raft.SnapshotHeader;
import raftkv.raft.Message;
import raftkv.raft.SnapshotMeta;

/** The follower side of InstallSnapshot alone, fed hand-made streams through an in-process channel. */
class SnapshotReceiverTest {
    private static final long SELF = 1;
    private static final long LEADER = 2;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] DATA = new byte[10_000];

    static {
        new Random(3).nextBytes(DATA);
    }

    @TempDir
    Path dir;

    private final ExecutorService io = Executors.newFixedThreadPool(2);
    private final RecordingNode node = new RecordingNode();
    // Chunks the service took from gRPC, counted before it sees them.
    private final AtomicInteger delivered = new AtomicInteger();
    private DirSnapshotSource files;
    private RaftPeerService service;
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        files = new DirSnapshotSource(dir);
        startService(io);
    }

    private void startService(java.util.concurrent.Executor executor) throws Exception {
        service = new RaftPeerService(SELF, Set.of(LEADER, 3L), files, executor,
                new ClusterGuard(SELF, GrpcTransport.TEST_CLUSTER_ID));
        service.start(node);
        ServerInterceptor counter = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata h, ServerCallHandler<Q, R> next) {
                return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, h)) {
                    @Override public void onMessage(Q message) {
                        delivered.incrementAndGet();
                        super.onMessage(message);
                    }
                };
            }
        };
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(service, counter)).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        service.stop();
        io.shutdownNow();
    }

    private static SnapshotHeader header(long term, long size) {
        return SnapshotHeader.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(term).setLeaderId(LEADER).setLastIncludedIndex(40)
                .setLastIncludedTerm(2).addVoters(1).addVoters(2).addVoters(3).setTotalSize(size).build();
    }

    private static SnapshotChunk opening(SnapshotHeader header, long offset) {
        return SnapshotChunk.newBuilder().setHeader(header).setOffset(offset).build();
    }

    /** DATA[from, to) as a chunk; the last one (to == DATA.length) carries done and {@code crc}. */
    private static SnapshotChunk data(int from, int to, int crc) {
        SnapshotChunk.Builder c = SnapshotChunk.newBuilder().setOffset(from).setData(ByteString.copyFrom(DATA, from, to - from));
        if (to == DATA.length) c.setDone(true).setCrc32C(crc);
        return c.build();
    }

    private static int crc() {
        CRC32C crc = new CRC32C();
        crc.update(DATA);
        return (int) crc.getValue();
    }

    /** Sends {@code chunks} on one stream, half-closes, and returns the answer or the error's status. */
    private Object stream(SnapshotChunk... chunks) throws InterruptedException {
        BlockingQueue<Object> outcome = new LinkedBlockingQueue<>();
        StreamObserver<SnapshotChunk> up = RaftPeerGrpc.newStub(channel).withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .installSnapshot(observer(outcome));
        for (SnapshotChunk c : chunks) up.onNext(c);
        up.onCompleted();
        return next(outcome, WAIT);
    }

    private static InstallSnapshotResponse progress(long term, long nextOffset) {
        return InstallSnapshotResponse.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(term).setNextOffset(nextOffset).build();
    }

    private static void assertCode(Status.Code code, Object outcome) {
        assertInstanceOf(Status.class, outcome, () -> "expected " + code + ", got " + outcome);
        assertEquals(code, ((Status) outcome).getCode(), outcome::toString);
    }

    @Test
    void aSnapshotInOneStreamIsCheckedFsyncedAndHandedToTheNode() throws Exception {
        Object answer = stream(opening(header(5, DATA.length), 0), data(0, 4000, 0), data(4000, DATA.length, crc()));
        assertEquals(InstallSnapshotResponse.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(5).setSuccess(true).setNextOffset(DATA.length)
                .setMatchIndex(40).build(), answer);
        RecordingNode.Snapshot got = next(node.snapshots, WAIT);
        assertEquals(new Message.SnapshotRequest(LEADER, SELF, 5, new SnapshotMeta(40, 2)), got.request());
        assertTrue(java.util.Arrays.equals(DATA, Files.readAllBytes(got.file())));
    }

    @Test
    void aTransferResumesAcrossStreamsFromWhatTheFollowerHolds() throws Exception {
        SnapshotHeader h = header(5, DATA.length);
        // A stream that ends early leaves a partial, and its answer says how much.
        assertEquals(progress(5, 3000), stream(opening(h, 0), data(0, 3000, 0)));
        // A stream starting elsewhere is told where to start, at once.
        assertEquals(progress(5, 3000), stream(opening(h, 0), data(0, 3000, 0)));
        assertEquals(progress(5, 3000), stream(opening(h, 7000)));
        assertEquals(1, files.incomingFiles().size());

        Object answer = stream(opening(h, 3000), data(3000, DATA.length, crc()));
        assertEquals(true, ((InstallSnapshotResponse) answer).getSuccess());
        assertTrue(java.util.Arrays.equals(DATA, Files.readAllBytes(next(node.snapshots, WAIT).file())));
    }

    @Test
    void anotherSnapshotFromTheSameLeaderDiscardsThePartial() throws Exception {
        assertEquals(progress(5, 3000), stream(opening(header(5, DATA.length), 0), data(0, 3000, 0)));
        Path first = files.incomingFiles().get(0);
        assertEquals(progress(6, 0), stream(opening(header(6, DATA.length), 0)));
        List<Path> now = files.incomingFiles();
        assertEquals(1, now.size());
        assertTrue(!now.contains(first), "the old partial is deleted");
    }

    @Test
    void aCrcMismatchDeletesThePartialAndTheLeaderMustStartOver() throws Exception {
        Object answer = stream(opening(header(5, DATA.length), 0), data(0, 4000, 0), data(4000, DATA.length, crc() ^ 1));
        assertEquals(progress(5, 0), answer);
        assertEquals(List.of(), files.incomingFiles());
        assertTrue(node.snapshots.isEmpty());
    }

    @Test
    void bytesPastTheTotalOrALastChunkShortOfItDeleteThePartial() throws Exception {
        assertEquals(progress(5, 0), stream(opening(header(5, 5000), 0), data(0, 6000, 0)));
        assertEquals(List.of(), files.incomingFiles());
        SnapshotChunk shortLast = SnapshotChunk.newBuilder().setOffset(0).setData(ByteString.copyFrom(DATA, 0, 100))
                .setDone(true).setCrc32C(0).build();
        assertEquals(progress(5, 0), stream(opening(header(5, 5000), 0), shortLast));
        assertEquals(List.of(), files.incomingFiles());
        assertTrue(node.snapshots.isEmpty());
    }

    @Test
    void streamsThatBreakTheContractAreRefusedWithoutAFile() throws Exception {
        assertCode(Status.Code.INVALID_ARGUMENT, stream(data(0, 100, 0)));
        // A leader unknown to this node is judged by the core (it may have been added since); itself is nonsense.
        SnapshotHeader fromItself = header(5, DATA.length).toBuilder().setLeaderId(SELF).build();
        assertCode(Status.Code.INVALID_ARGUMENT, stream(opening(fromItself, 0)));
        SnapshotHeader noIndex = header(5, DATA.length).toBuilder().setLastIncludedIndex(0).build();
        assertCode(Status.Code.INVALID_ARGUMENT, stream(opening(noIndex, 0)));
        SnapshotHeader futureTerm = header(5, DATA.length).toBuilder().setLastIncludedTerm(6).build();
        assertCode(Status.Code.INVALID_ARGUMENT, stream(opening(futureTerm, 0)));
        SnapshotHeader absurd = header(5, DATA.length).toBuilder().setTotalSize(-1).build();
        assertCode(Status.Code.INVALID_ARGUMENT, stream(opening(absurd, 0)));
        assertCode(Status.Code.INVALID_ARGUMENT, stream());
        assertEquals(List.of(), files.incomingFiles());

        SnapshotChunk headerAgain = data(0, 100, 0).toBuilder().setHeader(header(5, DATA.length)).build();
        assertCode(Status.Code.INVALID_ARGUMENT, stream(opening(header(5, DATA.length), 0), headerAgain));
        assertTrue(node.snapshots.isEmpty());
    }

    @Test
    void aNodeThatRepliesNullOrThrowsMakesTheLeaderRetry() throws Exception {
        node.snapshotResponder = s -> null;
        assertCode(Status.Code.UNAVAILABLE, stream(opening(header(5, DATA.length), 0), data(0, DATA.length, crc())));
        assertEquals(1, node.snapshots.size(), "the node got the file, and deletes it itself");

        List<Path> handed = new ArrayList<>();
        service.start(new Transport.Inbound() {
            @Override public void onRequest(Message request, Consumer<Message> reply) {}
            @Override public void onResponse(Message response) {}
            @Override public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {
                handed.add(file);
                throw new IllegalStateException("queue full");
            }
        });
        assertCode(Status.Code.UNAVAILABLE, stream(opening(header(5, DATA.length), 0), data(0, DATA.length, crc())));
        assertEquals(1, handed.size());
        assertTrue(Files.notExists(handed.get(0)), "the transport deleted the file the node did not take");
    }

    @Test
    void aRefusedPeerAndANodeNotServingGetUnavailable() throws Exception {
        PartitionHook hook = new PartitionHook();
        service.installPartitionHook(hook);
        hook.block(List.of(LEADER), false, true);
        assertCode(Status.Code.UNAVAILABLE, stream(opening(header(5, DATA.length), 0), data(0, DATA.length, crc())));
        hook.unblockAll();
        service.stop();
        assertCode(Status.Code.UNAVAILABLE, stream(opening(header(5, DATA.length), 0), data(0, DATA.length, crc())));
        assertEquals(List.of(), files.incomingFiles());
        assertTrue(node.snapshots.isEmpty());
    }

    @Test
    void aStreamFromADeposedLeaderIsAnsweredWithTheNewerTermBeforeAnyFileIsMade() throws Exception {
        // The node answers a vote of term 9: this node has seen term 9.
        RaftPeerGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .requestVote(raftkv.proto.raft.VoteRequest.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(9)
                        .setCandidateId(3).build());
        assertEquals(progress(9, 0), stream(opening(header(5, DATA.length), 0), data(0, DATA.length, crc())));
        assertEquals(List.of(), files.incomingFiles());
        assertTrue(node.snapshots.isEmpty());
        // A leader of term 9 or later is served as before.
        Object answer = stream(opening(header(9, DATA.length), 0), data(0, DATA.length, crc()));
        assertEquals(InstallSnapshotResponse.newBuilder().setClusterId(GrpcTransport.TEST_CLUSTER_ID).setTerm(9)
                .setSuccess(true).setNextOffset(DATA.length).setMatchIndex(40).build(), answer);
    }

    @Test
    void anAnnouncedSizeOverTheBoundIsRefusedWithoutAFile() throws Exception {
        long tooBig = SnapshotReceiver.maxSnapshotBytes() + 1;
        Object answer = stream(opening(header(5, tooBig), 0), data(0, 100, 0));
        assertCode(Status.Code.INVALID_ARGUMENT, answer);
        assertTrue(((Status) answer).getDescription().contains("total_size"), answer::toString);
        assertEquals(List.of(), files.incomingFiles());
    }

    @Test
    void aNewerLeadersTransferDropsTheDeposedLeadersPartial() throws Exception {
        assertEquals(progress(5, 3000), stream(opening(header(5, DATA.length), 0), data(0, 3000, 0)));
        assertEquals(1, files.incomingFiles().size());
        SnapshotHeader fromThree = header(6, DATA.length).toBuilder().setLeaderId(3).build();
        assertEquals(progress(6, 2000), stream(opening(fromThree, 0), data(0, 2000, 0)));
        assertEquals(1, files.incomingFiles().size(), "only the new leader's partial is left");
    }

    @Test
    void stopDeletesPartialSnapshots() throws Exception {
        assertEquals(progress(5, 3000), stream(opening(header(5, DATA.length), 0), data(0, 3000, 0)));
        assertEquals(1, files.incomingFiles().size());
        service.stop();
        assertEquals(List.of(), files.incomingFiles());
    }

    @Test
    void chunksAreTakenOneAtATimeAndWrittenOffTheNetworkThread() throws Exception {
        // Restart the service on an executor that holds every task until the test opens it.
        stop();
        CountDownLatch gate = new CountDownLatch(1);
        ExecutorService held = Executors.newSingleThreadExecutor();
        try {
            held.execute(() -> {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            startService(held);
            BlockingQueue<Object> outcome = new LinkedBlockingQueue<>();
            StreamObserver<SnapshotChunk> up = RaftPeerGrpc.newStub(channel).installSnapshot(observer(outcome));
            up.onNext(opening(header(5, DATA.length), 0));
            for (int from = 0; from < DATA.length; from += 2500) up.onNext(data(from, from + 2500, crc()));
            up.onCompleted();
            // The service took the first chunk and handed it to the executor; nothing more until it is written.
            assertEquals(1, delivered.get());
            assertEquals(List.of(), files.incomingFiles());

            gate.countDown();
            assertEquals(true, ((InstallSnapshotResponse) next(outcome, WAIT)).getSuccess());
            assertEquals(5, delivered.get());
        } finally {
            held.shutdownNow();
        }
    }

    /** Puts the answer, or the error's status, into {@code outcome}. */
    private static <T> StreamObserver<T> observer(BlockingQueue<Object> outcome) {
        return new StreamObserver<>() {
            @Override public void onNext(T value) {
                outcome.add(value);
            }
            @Override public void onError(Throwable t) {
                outcome.add(Status.fromThrowable(t));
            }
            @Override public void onCompleted() {}
        };
    }
}
