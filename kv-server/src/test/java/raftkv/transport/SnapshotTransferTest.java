package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.transport.RecordingNode.next;

import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.proto.raft.InstallSnapshotResponse;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.proto.raft.SnapshotChunk;
import raftkv.raft.Message;
import raftkv.raft.SnapshotMeta;
import raftkv.testing.Await;

/**
 * InstallSnapshot between two GrpcTransports over loopback through real PeerServers: node 1 is the
 * leader, node 2 the follower, and a {@link ChunkTap} in front of node 2's service sees every chunk.
 */
class SnapshotTransferTest {
    private static final int MAX_MESSAGE = GrpcTransport.maxMessageBytes(1 << 20);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int CHUNK = 300_000;
    private static final SnapshotMeta META = new SnapshotMeta(500, 3);

    @TempDir
    Path dir;

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    /** Every call's outcome on node 1's transport: (peer, status). */
    private final BlockingQueue<Map.Entry<Long, Status>> calls = new LinkedBlockingQueue<>();
    private final ChunkTap tap = new ChunkTap();
    private final RecordingNode leader = new RecordingNode();
    private final RecordingNode follower = new RecordingNode();
    private DirSnapshotSource leaderFiles;
    private DirSnapshotSource followerFiles;
    private GrpcTransport t1;
    private GrpcTransport t2;

    @AfterEach
    void closeEverything() throws Exception {
        while (!toClose.isEmpty()) toClose.pop().close();
    }

    private GrpcTransport.Options options() {
        return GrpcTransport.Options.defaults(MAX_MESSAGE).withCallListener((peer, status) -> calls.add(Map.entry(peer, status)))
                .withSnapshotTransfer(CHUNK, Duration.ofMinutes(1), Duration.ofSeconds(10));
    }

    /** Node 1 and node 2, both serving; node 2's service behind the tap. */
    private void startPair(GrpcTransport.Options options) throws IOException {
        int port1 = Loopback.freePort();
        int port2 = Loopback.freePort();
        leaderFiles = new DirSnapshotSource(dir.resolve("n1"));
        followerFiles = new DirSnapshotSource(dir.resolve("n2"));
        t1 = new GrpcTransport(1, Map.of(2L, Loopback.target(port2)), MAX_MESSAGE, options, leaderFiles);
        t2 = new GrpcTransport(2, Map.of(1L, Loopback.target(port1)), MAX_MESSAGE, options, followerFiles);
        toClose.push(t1);
        toClose.push(t2);
        t1.start(leader);
        t2.start(follower);
        toClose.push(PeerServer.start(Loopback.HOST, port1, MAX_MESSAGE, List.of(t1.peerService())));
        BindableService tapped = () -> ServerInterceptors.intercept(t2.peerService(), tap);
        toClose.push(PeerServer.start(Loopback.HOST, port2, MAX_MESSAGE, List.of(tapped)));
    }


    private static void assertSameBytes(Path expected, Path actual) throws IOException {
        assertEquals(-1, Files.mismatch(expected, actual), () -> actual + " differs from " + expected);
    }

    @Test
    void aLargeSnapshotArrivesByteForByteInBoundedChunksAndItsAnswerReachesTheCore() throws Exception {
        startPair(options());
        int size = (20 << 20) + 12_345;
        Path file = leaderFiles.write(META, size, 11);

        // The core asks for an older snapshot than the newest file: the newest serves.
        t1.send(new Message.SnapshotRequest(1, 2, 4, new SnapshotMeta(450, 3)));

        RecordingNode.Snapshot got = next(follower.snapshots, WAIT);
        assertEquals(new Message.SnapshotRequest(1, 2, 4, META), got.request());
        assertSameBytes(file, got.file());
        assertEquals(List.of(got.file()), followerFiles.incomingFiles(), "no other file left behind");
        assertEquals(new Message.SnapshotResponse(2, 1, 4, 500), next(leader.responses, WAIT));

        // A probe (header alone), then one stream of data from 0 to the end in full chunks.
        List<ChunkTap.Seen> probe = tap.ofCall(1);
        assertEquals(List.of(new ChunkTap.Seen(1, 0, 0, true, false, false)), probe);
        List<ChunkTap.Seen> data = tap.ofCall(2);
        assertTrue(data.get(0).header() && data.get(0).dataBytes() == 0);
        long offset = 0;
        for (int i = 1; i < data.size(); i++) {
            ChunkTap.Seen c = data.get(i);
            assertFalse(c.header(), "header only in the first chunk of a stream");
            assertEquals(offset, c.offset());
            assertTrue(c.dataBytes() <= CHUNK, "chunk of " + c.dataBytes());
            if (i < data.size() - 1) assertEquals(CHUNK, c.dataBytes());
            assertEquals(i == data.size() - 1, c.done());
            offset += c.dataBytes();
        }
        assertEquals(size, offset);
        PeerStats stats = t1.stats(2);
        assertEquals(size, stats.snapshotBytes(), "nothing sent twice");
        assertEquals(2, stats.sent());
        assertEquals(2, stats.answered());
    }

    @Test
    void aBrokenStreamIsResumedFromWhatTheFollowerHoldsNotFromZero() throws Exception {
        startPair(options());
        int size = 6 << 20;
        Path file = leaderFiles.write(META, size, 12);
        tap.breakNextStreamAt(10);

        t1.send(new Message.SnapshotRequest(1, 2, 4, META));

        RecordingNode.Snapshot got = next(follower.snapshots, WAIT);
        assertSameBytes(file, got.file());
        assertEquals(new Message.SnapshotResponse(2, 1, 4, 500), next(leader.responses, WAIT));

        // Calls: 1 probe, 2 data (broken at its 10th data chunk), 3 probe, 4 data from where node 2 stopped.
        assertTrue(tap.ofCall(2).stream().anyMatch(ChunkTap.Seen::broke));
        long written = tap.ofCall(2).stream().filter(c -> !c.broke()).mapToLong(ChunkTap.Seen::dataBytes).sum();
        assertEquals(9L * CHUNK, written);
        assertEquals(List.of(new ChunkTap.Seen(3, 0, 0, true, false, false)), tap.ofCall(3));
        List<ChunkTap.Seen> resumed = tap.ofCall(4);
        long from = resumed.get(0).offset();
        assertTrue(from > 0 && from <= written && from % CHUNK == 0, "resumed at " + from);
        assertEquals(from, resumed.get(1).offset());
        assertEquals(size - from, resumed.stream().mapToLong(ChunkTap.Seen::dataBytes).sum());
        assertTrue(resumed.get(resumed.size() - 1).done());
        assertTrue(tap.ofCall(5).isEmpty());
        assertTrue(calls.stream().anyMatch(c -> c.getValue().getCode() == Status.Code.UNAVAILABLE));
    }

    @Test
    void aSecondRequestWhileATransferRunsIsDroppedAndTheNextAfterItIsSent() throws Exception {
        startPair(options());
        leaderFiles.write(META, 1 << 20, 13);
        follower.snapshotResponder = null; // the follower's node holds its reply: the transfer runs on

        Message.SnapshotRequest request = new Message.SnapshotRequest(1, 2, 4, META);
        t1.send(request);
        RecordingNode.Snapshot got = next(follower.snapshots, WAIT);
        t1.send(request);
        assertEquals(1, t1.stats(2).dropped());

        got.reply().accept(new Message.SnapshotResponse(2, 1, 4, 500));
        assertEquals(new Message.SnapshotResponse(2, 1, 4, 500), next(leader.responses, WAIT));
        follower.snapshotResponder = RecordingNode::install;
        t1.send(request);
        next(follower.snapshots, WAIT);
        assertEquals(new Message.SnapshotResponse(2, 1, 4, 500), next(leader.responses, WAIT));
        assertEquals(1, t1.stats(2).dropped());
    }

    @Test
    void aRequestPastTheNewestLocalSnapshotIsDroppedWithoutACall() throws Exception {
        startPair(options());
        t1.send(new Message.SnapshotRequest(1, 2, 4, META)); // no snapshot at all
        Await.until(WAIT, "first request dropped", () -> t1.stats(2).dropped() == 1);

        leaderFiles.write(new SnapshotMeta(400, 3), 1000, 14);
        t1.send(new Message.SnapshotRequest(1, 2, 4, META)); // newest is 400 < 500
        Await.until(WAIT, "second request dropped", () -> t1.stats(2).dropped() == 2);
        assertEquals(0, t1.stats(2).sent());
        assertTrue(tap.seen.isEmpty());
    }

    @Test
    void aFollowerInAHigherTermRefusesAndTheCoreHearsItsTerm() throws Exception {
        startPair(options());
        leaderFiles.write(META, 100_000, 15);
        follower.snapshotResponder = s -> new Message.SnapshotResponse(2, 1, 9, 0);

        t1.send(new Message.SnapshotRequest(1, 2, 4, META));
        assertEquals(new Message.SnapshotResponse(2, 1, 9, 0), next(leader.responses, WAIT));
    }

    @Test
    void theTestPartitionHookDropsOutgoingTransfersAndRefusesIncomingOnes() throws Exception {
        startPair(options());
        leaderFiles.write(META, 100_000, 16);
        PartitionHook out = new PartitionHook();
        t1.installPartitionHook(out);
        out.block(List.of(2L), true, false);
        t1.send(new Message.SnapshotRequest(1, 2, 4, META));
        assertEquals(1, t1.stats(2).dropped());
        assertEquals(0, t1.stats(2).sent());

        out.unblockAll();
        PartitionHook in = new PartitionHook();
        t2.installPartitionHook(in);
        in.block(List.of(1L), false, true);
        t1.send(new Message.SnapshotRequest(1, 2, 4, META));
        // The first stream and every retry are refused; the transfer then gives up, and frees its slot.
        for (int i = 0; i <= SnapshotSender.MAX_RETRIES; i++) {
            assertEquals(Map.entry(2L, Status.Code.UNAVAILABLE), code(next(calls, WAIT)));
        }
        in.unblockAll();
        long sent = t1.stats(2).sent();
        Await.until(WAIT, "a new transfer starts", () -> {
            t1.send(new Message.SnapshotRequest(1, 2, 4, META));
            return t1.stats(2).sent() > sent;
        });
        assertEquals(new Message.SnapshotResponse(2, 1, 4, 500), next(leader.responses, WAIT));
        assertEquals(1, follower.snapshots.size());
    }

    @Test
    void aTransferThatCannotSendIsCancelledAfterTheStallTimeout() throws Exception {
        ServerSocket blackHole = Loopback.blackHole();
        toClose.push(blackHole);
        leaderFiles = new DirSnapshotSource(dir.resolve("n1"));
        leaderFiles.write(META, 100_000, 17);
        GrpcTransport t = new GrpcTransport(1, Map.of(2L, Loopback.target(blackHole.getLocalPort())), MAX_MESSAGE,
                options().withSnapshotTransfer(CHUNK, Duration.ofMinutes(1), Duration.ofMillis(300)), leaderFiles);
        toClose.push(t);
        t.start(leader);

        t.send(new Message.SnapshotRequest(1, 2, 4, META));
        assertEquals(Map.entry(2L, Status.Code.CANCELLED), code(next(calls, WAIT)));
        t.send(new Message.SnapshotRequest(1, 2, 4, META));
        assertEquals(Map.entry(2L, Status.Code.CANCELLED), code(next(calls, WAIT)));
        assertEquals(0, t.stats(2).dropped(), "the first transfer freed its slot");
        assertEquals(2, t.stats(2).sent());
        assertTrue(leader.responses.isEmpty(), "a transfer given up delivers nothing");
    }

    @Test
    void aFollowerThatNeverCompletesTheSnapshotIsGivenUpAfterBoundedResumes() throws Exception {
        // A follower that answers every stream at its first chunk: "I hold 1 byte". It records each stream's term.
        List<Long> streams = new CopyOnWriteArrayList<>();
        RaftPeerGrpc.RaftPeerImplBase stuck = new RaftPeerGrpc.RaftPeerImplBase() {
            @Override
            public StreamObserver<SnapshotChunk> installSnapshot(StreamObserver<InstallSnapshotResponse> call) {
                return new StreamObserver<>() {
                    private boolean answered;
                    @Override public void onNext(SnapshotChunk chunk) {
                        if (answered) return;
                        answered = true;
                        streams.add(chunk.getHeader().getTerm());
                        call.onNext(ProtoCodec.snapshotProgress(chunk.getHeader().getTerm(), 1).toBuilder()
                                .setClusterId(GrpcTransport.TEST_CLUSTER_ID).build());
                        call.onCompleted();
                    }
                    @Override public void onError(Throwable t) {}
                    @Override public void onCompleted() {}
                };
            }
        };
        int port = Loopback.freePort();
        toClose.push(PeerServer.start(Loopback.HOST, port, MAX_MESSAGE, List.of(stuck)));
        leaderFiles = new DirSnapshotSource(dir.resolve("n1"));
        leaderFiles.write(META, 100_000, 18);
        GrpcTransport t = new GrpcTransport(1, Map.of(2L, Loopback.target(port)), MAX_MESSAGE, options(), leaderFiles);
        toClose.push(t);
        t.start(leader);

        t.send(new Message.SnapshotRequest(1, 2, 4, META));
        int expected = 1 + 1 + SnapshotSender.MAX_RESUMES; // the probe, the first data stream, the resumed ones
        for (int i = 0; i < expected; i++) assertEquals(Map.entry(2L, Status.Code.OK), code(next(calls, WAIT)));
        Await.until(WAIT, "the transfer gives up and a new one starts", () -> {
            t.send(new Message.SnapshotRequest(1, 2, 5, META));
            return streams.contains(5L);
        });
        assertEquals(expected, streams.stream().filter(term -> term == 4).count(), "no stream beyond the bound");
        assertTrue(leader.responses.isEmpty(), "a transfer given up delivers nothing");
    }

    private static Map.Entry<Long, Status.Code> code(Map.Entry<Long, Status> call) {
        return Map.entry(call.getKey(), call.getValue().getCode());
    }
}
