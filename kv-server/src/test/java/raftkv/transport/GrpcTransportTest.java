package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.transport.RecordingNode.next;

import com.google.protobuf.ByteString;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.AppendResponse;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.raft.Entry;
import raftkv.raft.Message;

/** GrpcTransports talking to each other over loopback through real PeerServers. */
class GrpcTransportTest {
    private static final int MAX_VALUE = 1 << 20;
    private static final int MAX_MESSAGE = GrpcTransport.maxMessageBytes(MAX_VALUE);
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Every call's outcome on every transport: (peer, status). */
    private final BlockingQueue<Map.Entry<Long, Status>> calls = new LinkedBlockingQueue<>();
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    /** One node: its transport, what reached it, and its server (null while stopped). */
    private final class Node {
        final long id;
        final int port = Loopback.freePort();
        final RecordingNode inbound = new RecordingNode();
        // Calls this node's server has started, by method.
        final Map<String, Integer> callsServed = new java.util.concurrent.ConcurrentHashMap<>();
        GrpcTransport transport;
        PeerServer server;

        Node(long id) {
            this.id = id;
        }

        String target() {
            return Loopback.target(port);
        }

        void connect(Map<Long, String> peers, GrpcTransport.Options options) {
            transport = new GrpcTransport(id, peers, MAX_MESSAGE, options);
            toClose.push(transport);
            transport.start(inbound);
        }

        void startServer() throws IOException {
            RaftPeerService service = transport.peerService();
            BindableService counted = () -> ServerInterceptors.intercept(service, new ServerInterceptor() {
                @Override
                public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                    callsServed.merge(call.getMethodDescriptor().getBareMethodName(), 1, Integer::sum);
                    return next.startCall(call, headers);
                }
            });
            server = PeerServer.start(Loopback.HOST, port, MAX_MESSAGE, List.of(counted));
            PeerServer s = server;
            toClose.push(s::close);
        }

        void stopServer() {
            server.close();
            server = null;
        }
    }

    @AfterEach
    void closeEverything() throws Exception {
        while (!toClose.isEmpty()) toClose.pop().close();
    }

    /** The defaults, which send on Exchange streams, with every call's end recorded. */
    private GrpcTransport.Options options() {
        return GrpcTransport.Options.defaults(MAX_MESSAGE).withCallListener((peer, status) -> calls.add(Map.entry(peer, status)));
    }

    /** One unary call per message. */
    private GrpcTransport.Options unary() {
        return options().withExchange(false);
    }

    /** Nodes with the given ids, each a peer of all the others plus {@code extraPeers}, all serving. */
    private Map<Long, Node> cluster(GrpcTransport.Options options, Map<Long, String> extraPeers, long... ids) throws IOException {
        Map<Long, Node> nodes = new LinkedHashMap<>();
        for (long id : ids) nodes.put(id, new Node(id));
        for (Node n : nodes.values()) {
            Map<Long, String> peers = new LinkedHashMap<>(extraPeers);
            nodes.values().stream().filter(p -> p != n).forEach(p -> peers.put(p.id, p.target()));
            n.connect(peers, options);
            n.startServer();
        }
        return nodes;
    }

    @ParameterizedTest(name = "exchange {0}")
    @ValueSource(booleans = {true, false})
    void votesAndAppendsReachTheirPeerAndTheAnswersComeBackWithTheRightIds(boolean exchange) throws Exception {
        Map<Long, Node> nodes = cluster(options().withExchange(exchange), Map.of(), 0, 1, 2);
        Node n0 = nodes.get(0L), n1 = nodes.get(1L), n2 = nodes.get(2L);

        for (Node target : List.of(n1, n2)) {
            Message.VoteRequest vote = new Message.VoteRequest(0, target.id, 4, 10, 3, true, false);
            n0.transport.send(vote);
            assertEquals(vote, next(target.inbound.requests, WAIT));
        }
        Set<Message> votes = new HashSet<>(List.of(next(n0.inbound.responses, WAIT), next(n0.inbound.responses, WAIT)));
        assertEquals(Set.of(new Message.VoteResponse(1, 0, 4, true, true), new Message.VoteResponse(2, 0, 4, true, true)), votes);

        byte[] binary = new byte[70_000];
        new Random(7).nextBytes(binary);
        Message.AppendRequest append = new Message.AppendRequest(2, 1, 5, 10, 3, List.of(
                Entry.noop(11, 5),
                Entry.normal(12, 5, ByteString.copyFrom(binary)),
                Entry.normal(13, 5, ByteString.copyFromUtf8("\0\r\n\u00ff"))), 11, 42);
        n2.transport.send(append);
        assertEquals(append, next(n1.inbound.requests, WAIT));
        assertEquals(new Message.AppendResponse(1, 2, 5, true, 13, 0, 0, 0, 42), next(n2.inbound.responses, WAIT));

        n1.inbound.responder = r -> new Message.AppendResponse(1, 0, 6, false, 0, 20, 17, 2, 3);
        n0.transport.send(new Message.AppendRequest(0, 1, 5, 20, 4, List.of(), 15, 3));
        assertEquals(new Message.AppendResponse(1, 0, 6, false, 0, 20, 17, 2, 3), next(n0.inbound.responses, WAIT));
        assertNull(n0.inbound.responses.poll());
        assertEquals(2, n0.transport.stats(1).answered());
        assertTrue(n0.transport.stats(1).reachable());
        if (exchange) {
            assertEquals(Map.of("Exchange", 2), n1.callsServed, "one stream from node 0 and one from node 2, whatever they sent");
        } else {
            assertEquals(Map.of("RequestVote", 1, "AppendEntries", 2), n1.callsServed);
        }
    }

    // raft.proto, Exchange: one stream carries every message of a burst, in order, and the answers come back on it.
    @Test
    void aBurstOfAppendsTravelsOnOneStreamInOrder() throws Exception {
        Map<Long, Node> nodes = cluster(options(), Map.of(), 1, 2);
        GrpcTransport t = nodes.get(1L).transport;
        // Until the peer says it serves the stream, only MAX_BEFORE_SERVED messages go on it.
        t.send(new Message.VoteRequest(1, 2, 3, 0, 0, true, false));
        assertNotNull(next(nodes.get(1L).inbound.responses, WAIT));
        assertNotNull(next(nodes.get(2L).inbound.requests, WAIT));
        List<Message> sent = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) {
            Message.AppendRequest a = new Message.AppendRequest(1, 2, 3, i, i == 0 ? 0 : 3,
                    List.of(Entry.normal(i + 1, 3, ByteString.copyFromUtf8("v" + i))), i, 0);
            t.send(a);
            sent.add(a);
        }
        for (Message m : sent) assertEquals(m, next(nodes.get(2L).inbound.requests, WAIT));
        for (int i = 0; i < 500; i++) assertNotNull(next(nodes.get(1L).inbound.responses, WAIT));
        assertEquals(Map.of("Exchange", 1), nodes.get(2L).callsServed);
        assertEquals(501, t.stats(2).sent());
        assertEquals(501, t.stats(2).answered());
    }

    // raft.proto, Exchange: a peer that answers UNIMPLEMENTED (an older node) is sent unary calls from then on.
    @Test
    void aPeerWithoutTheStreamIsSentUnaryCalls() throws Exception {
        int port = Loopback.freePort();
        BlockingQueue<AppendRequest> received = new LinkedBlockingQueue<>();
        RaftPeerGrpc.RaftPeerImplBase older = new RaftPeerGrpc.RaftPeerImplBase() {
            @Override
            public void appendEntries(AppendRequest request, StreamObserver<AppendResponse> call) {
                received.add(request);
                call.onNext(AppendResponse.newBuilder().setTerm(request.getTerm()).setSuccess(true)
                        .setClusterId(GrpcTransport.TEST_CLUSTER_ID).build());
                call.onCompleted();
            }
        };
        PeerServer server = PeerServer.start(Loopback.HOST, port, MAX_MESSAGE, List.of(older));
        toClose.push(server);
        GrpcTransport t = new GrpcTransport(1, Map.of(2L, Loopback.target(port)), MAX_MESSAGE, options());
        toClose.push(t);
        RecordingNode inbound = new RecordingNode();
        t.start(inbound);

        // What went on the stream before the peer refused it is lost, as Raft allows; then calls get through.
        Message answer = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (answer == null && System.nanoTime() < deadline) {
            t.send(new Message.AppendRequest(1, 2, 3, 0, 0, List.of(), 0, 0));
            answer = inbound.responses.poll(100, TimeUnit.MILLISECONDS);
        }
        assertEquals(new Message.AppendResponse(2, 1, 3, true, 0, 0, 0, 0, 0), answer);
        assertEquals(3, next(received, WAIT).getTerm());
    }

    @ParameterizedTest(name = "exchange {0}")
    @ValueSource(booleans = {true, false})
    void timeoutNowReachesItsTargetAndItsAnswerIsNotPassedToTheCore(boolean exchange) throws Exception {
        Map<Long, Node> nodes = cluster(options().withExchange(exchange), Map.of(), 1, 2);
        nodes.get(1L).transport.send(new Message.TimeoutNow(1, 2, 9));
        assertEquals(new Message.TimeoutNow(1, 2, 9), next(nodes.get(2L).inbound.requests, WAIT));
        if (!exchange) assertEquals(Map.entry(2L, Status.OK), next(calls, WAIT), "the call's empty answer");
        assertNull(nodes.get(1L).inbound.responses.poll());
    }

    // One-way: a unary call's answer only says that the message arrived; on the Exchange stream there is none.
    @ParameterizedTest(name = "exchange {0}")
    @ValueSource(booleans = {true, false})
    void readIndexRequestAndAnswerTravelOneWay(boolean exchange) throws Exception {
        Map<Long, Node> nodes = cluster(options().withExchange(exchange), Map.of(), 1, 2);
        Message.ReadIndexRequest ask = new Message.ReadIndexRequest(2, 1, 4, -5);
        nodes.get(2L).transport.send(ask);
        assertEquals(ask, next(nodes.get(1L).inbound.requests, WAIT));
        if (!exchange) assertEquals(Map.entry(1L, Status.OK), next(calls, WAIT));
        Message.ReadIndexResponse answer = new Message.ReadIndexResponse(1, 2, 4, -5, true, 17);
        nodes.get(1L).transport.send(answer);
        assertEquals(answer, next(nodes.get(2L).inbound.requests, WAIT), "the answer travels as a request of its own");
        if (!exchange) assertEquals(Map.entry(2L, Status.OK), next(calls, WAIT));
        assertNull(nodes.get(1L).inbound.responses.poll());
        assertNull(nodes.get(2L).inbound.responses.poll());
        if (exchange) {
            assertEquals(Map.of("Exchange", 1), nodes.get(1L).callsServed, "the request on node 2's stream");
            assertEquals(Map.of("Exchange", 1), nodes.get(2L).callsServed, "the answer on node 1's");
        }
    }

    @Test
    void peersComeAndGoWithTheMembership() {
        GrpcTransport t = new GrpcTransport(1, Map.of(2L, Loopback.target(Loopback.freePort())), MAX_MESSAGE);
        toClose.push(t);
        t.updatePeers(Map.of(2L, Loopback.target(Loopback.freePort()), 4L, Loopback.target(Loopback.freePort())));
        assertEquals(List.of(2L, 4L), t.allStats().stream().map(PeerStats::peerId).toList());
        t.updatePeers(Map.of(4L, Loopback.target(Loopback.freePort())));
        assertEquals(List.of(4L), t.allStats().stream().map(PeerStats::peerId).toList());
        t.close();
    }

    @Test
    void callerBugsAreRefusedAtOnce() throws Exception {
        GrpcTransport t = new GrpcTransport(1, Map.of(2L, Loopback.target(Loopback.freePort())), MAX_MESSAGE);
        toClose.push(t);
        var vote = new Message.VoteRequest(1, 2, 1, 0, 0, false, false);
        assertThrows(IllegalStateException.class, () -> t.send(vote), "send before start");
        t.start(new RecordingNode());
        assertThrows(IllegalArgumentException.class, () -> t.send(new Message.VoteResponse(1, 2, 1, true, false)));
        // A member whose address is not known (yet): dropped, as if lost (membership changes add peers).
        t.send(new Message.VoteRequest(1, 3, 1, 0, 0, false, false));
        assertThrows(IllegalArgumentException.class, () -> t.send(new Message.VoteRequest(2, 1, 1, 0, 0, false, false)));
        assertThrows(IllegalArgumentException.class, () -> new GrpcTransport(1, Map.of(1L, "localhost:1"), MAX_MESSAGE));
        assertThrows(IllegalArgumentException.class, () -> new GrpcTransport(1, Map.of(2L, "localhost"), MAX_MESSAGE));
        assertThrows(IllegalArgumentException.class, () -> new GrpcTransport(1, Map.of(2L, "localhost:70000"), MAX_MESSAGE));
        t.close();
        t.send(vote); // after close: dropped, not thrown
        assertEquals(1, t.stats(2).dropped());
    }

    @Test
    void deadPeersNeitherDelayALivePeerNorHoldMoreThanTheBound() throws Exception {
        ServerSocket blackHole = Loopback.blackHole();
        toClose.push(blackHole);
        long dead = 8, silent = 9;
        Map<Long, String> extra = Map.of(dead, Loopback.target(Loopback.freePort()),
                silent, Loopback.target(blackHole.getLocalPort()));
        Map<Long, Node> nodes = cluster(unary(), extra, 1, 2);
        GrpcTransport t = nodes.get(1L).transport;
        int bound = GrpcTransport.Options.defaults(MAX_MESSAGE).maxOutstandingCalls();

        ByteString payload = ByteString.copyFrom(new byte[16 * 1024]);
        long start = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            for (long peer : List.of(dead, silent)) {
                t.send(new Message.AppendRequest(1, peer, 2, i, 1, List.of(Entry.normal(i + 1, 2, payload)), 0, 0));
                assertTrue(t.stats(peer).outstandingCalls() <= bound);
            }
        }
        Duration sending = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(sending.compareTo(Duration.ofSeconds(5)) < 0, "20,000 sends took " + sending);

        long before = System.nanoTime();
        t.send(new Message.VoteRequest(1, 2, 3, 0, 0, true, false));
        assertNotNull(next(nodes.get(2L).inbound.requests, Duration.ofSeconds(1)));
        assertNotNull(next(nodes.get(1L).inbound.responses, Duration.ofSeconds(1)));
        Duration live = Duration.ofNanos(System.nanoTime() - before);
        assertTrue(live.compareTo(Duration.ofSeconds(1)) < 0, "the live peer answered after " + live);

        PeerStats hole = t.stats(silent);
        assertEquals(bound, hole.outstandingCalls(), "calls to a silent peer wait for their deadline");
        assertEquals(10_000 - bound, hole.dropped());
        assertTrue(hole.outstandingBytes() <= (long) bound * (payload.size() + 100), "bytes: " + hole.outstandingBytes());
        PeerStats down = t.stats(dead);
        assertTrue(down.outstandingCalls() <= bound);
        assertEquals(10_000, down.sent() + down.dropped());
    }

    // raft.proto, Exchange: a peer that never serves its stream holds at most a few messages; the rest are dropped.
    @Test
    void aSilentPeerHoldsAtMostAFewMessagesOnItsStream() throws Exception {
        ServerSocket blackHole = Loopback.blackHole();
        toClose.push(blackHole);
        long silent = 9;
        Map<Long, Node> nodes = cluster(options(), Map.of(silent, Loopback.target(blackHole.getLocalPort())), 1, 2);
        GrpcTransport t = nodes.get(1L).transport;
        ByteString payload = ByteString.copyFrom(new byte[16 * 1024]);
        for (int i = 0; i < 10_000; i++) {
            t.send(new Message.AppendRequest(1, silent, 2, i, 1, List.of(Entry.normal(i + 1, 2, payload)), 0, 0));
        }
        PeerStats hole = t.stats(silent);
        assertEquals(PeerExchange.MAX_BEFORE_SERVED, hole.sent(), "messages written to a stream the peer never served");
        assertEquals(10_000 - PeerExchange.MAX_BEFORE_SERVED, hole.dropped());

        t.send(new Message.VoteRequest(1, 2, 3, 0, 0, true, false));
        assertNotNull(next(nodes.get(2L).inbound.requests, WAIT), "the live peer is not held up");
    }

    @Test
    void theByteBudgetBoundsWhatAPeerHolds() throws Exception {
        ServerSocket blackHole = Loopback.blackHole();
        toClose.push(blackHole);
        GrpcTransport t = new GrpcTransport(1, Map.of(2L, Loopback.target(blackHole.getLocalPort())), MAX_MESSAGE,
                unary().withOutstandingBounds(256, 1 << 20));
        toClose.push(t);
        t.start(new RecordingNode());
        ByteString payload = ByteString.copyFrom(new byte[64 * 1024]);
        for (int i = 0; i < 100; i++) {
            t.send(new Message.AppendRequest(1, 2, 2, i, 1, List.of(Entry.normal(i + 1, 2, payload)), 0, 0));
        }
        PeerStats s = t.stats(2);
        assertTrue(s.outstandingBytes() <= 1 << 20, "bytes: " + s.outstandingBytes());
        assertEquals(15, s.outstandingCalls(), "16 calls of a bit over 64 KiB exceed 1 MiB");
        assertEquals(85, s.dropped());
    }

    @ParameterizedTest(name = "exchange {0}")
    @ValueSource(booleans = {true, false})
    void aPeerRestartedOnTheSamePortIsReachedAgain(boolean exchange) throws Exception {
        Map<Long, Node> nodes = cluster(options().withExchange(exchange), Map.of(), 1, 2);
        Node n1 = nodes.get(1L), n2 = nodes.get(2L);
        var vote = new Message.VoteRequest(1, 2, 3, 0, 0, true, false);
        n1.transport.send(vote);
        assertNotNull(next(n1.inbound.responses, WAIT));

        n2.stopServer();
        n1.transport.send(vote);
        Map.Entry<Long, Status> failure = next(calls, WAIT);
        while (failure.getValue().isOk()) failure = next(calls, WAIT); // skip the first call's OK
        // A call fails UNAVAILABLE; the stream open when the server went away ends CANCELLED or UNAVAILABLE.
        Status.Code code = failure.getValue().getCode();
        assertTrue(code == Status.Code.UNAVAILABLE || (exchange && code == Status.Code.CANCELLED), failure.toString());
        assertTrue(!n1.transport.stats(2).reachable());

        n2.startServer();
        long deadline = System.nanoTime() + WAIT.toNanos();
        Message answer = null;
        while (answer == null && System.nanoTime() < deadline) {
            n1.transport.send(vote);
            answer = n1.inbound.responses.poll(200, TimeUnit.MILLISECONDS);
        }
        assertEquals(new Message.VoteResponse(2, 1, 3, true, true), answer);
        assertTrue(n1.transport.stats(2).reachable());
    }

    @Test
    void aMessageNearTheLimitPassesAndOneFarBeyondIsRefusedWithoutBreakingTheChannel() throws Exception {
        Map<Long, Node> nodes = cluster(options(), Map.of(), 1, 2);
        GrpcTransport t = nodes.get(1L).transport;
        RecordingNode receiver = nodes.get(2L).inbound;

        byte[] value = new byte[MAX_VALUE];
        new Random(1).nextBytes(value);
        var largest = new Message.AppendRequest(1, 2, 2, 0, 0, List.of(Entry.normal(1, 2, ByteString.copyFrom(value))), 0, 0);
        t.send(largest);
        assertEquals(largest, next(receiver.requests, WAIT));
        assertEquals(new Message.AppendResponse(2, 1, 2, true, 1, 0, 0, 0, 0), next(nodes.get(1L).inbound.responses, WAIT));
        assertEquals(Map.entry(2L, Status.OK), next(calls, WAIT));

        var huge = new Message.AppendRequest(1, 2, 2, 1, 2, List.of(Entry.normal(2, 2, ByteString.copyFrom(new byte[4 * MAX_VALUE]))), 0, 0);
        t.send(huge);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, next(calls, WAIT).getValue().getCode());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, t.stats(2).lastFailure());

        var small = new Message.AppendRequest(1, 2, 2, 1, 2, List.of(Entry.normal(2, 2, ByteString.copyFromUtf8("v"))), 1, 0);
        t.send(small);
        assertEquals(small, next(receiver.requests, WAIT), "the oversized message never arrived; the next one does");
        assertEquals(new Message.AppendResponse(2, 1, 2, true, 2, 0, 0, 0, 0), next(nodes.get(1L).inbound.responses, WAIT));
    }
}
