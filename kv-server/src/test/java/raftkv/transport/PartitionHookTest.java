package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.transport.RecordingNode.next;

import io.grpc.Status;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import raftkv.raft.Message;
import raftkv.testing.Await;

/**
 * The test-only partition hook in a real transport pair over loopback: node 1 has the hook, node 2
 * has none. Outgoing blocks drop node 1's requests before they are sent; incoming blocks refuse
 * node 2's requests at node 1's server, before they reach the node.
 */
class PartitionHookTest {
    private static final int MAX_MESSAGE = GrpcTransport.maxMessageBytes(1 << 20);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    // Every call's end on node 2's transport: (peer, status).
    private final BlockingQueue<Map.Entry<Long, Status>> calls2 = new LinkedBlockingQueue<>();
    private final RecordingNode inbound1 = new RecordingNode();
    private final RecordingNode inbound2 = new RecordingNode();
    private final PartitionHook hook = new PartitionHook();
    private GrpcTransport t1;
    private GrpcTransport t2;

    @AfterEach
    void closeEverything() throws Exception {
        while (!toClose.isEmpty()) toClose.pop().close();
    }

    private void startPair() throws IOException {
        startPair(false);
    }

    /** @param exchange messages on Exchange streams rather than unary calls */
    private void startPair(boolean exchange) throws IOException {
        int port1 = Loopback.freePort();
        int port2 = Loopback.freePort();
        GrpcTransport.Options options = GrpcTransport.Options.defaults(MAX_MESSAGE).withExchange(exchange);
        t1 = new GrpcTransport(1, Map.of(2L, Loopback.target(port2)), MAX_MESSAGE, options);
        t2 = new GrpcTransport(2, Map.of(1L, Loopback.target(port1)), MAX_MESSAGE,
                options.withCallListener((peer, status) -> calls2.add(Map.entry(peer, status))));
        toClose.push(t1);
        toClose.push(t2);
        t1.installPartitionHook(hook);
        t1.start(inbound1);
        t2.start(inbound2);
        PeerServer s1 = PeerServer.start(Loopback.HOST, port1, MAX_MESSAGE, List.of(t1.peerService()));
        toClose.push(s1);
        PeerServer s2 = PeerServer.start(Loopback.HOST, port2, MAX_MESSAGE, List.of(t2.peerService()));
        toClose.push(s2);
    }

    @Test
    void aTransportHasNoHookUnlessOneIsInstalled() throws IOException {
        startPair();
        assertNull(t2.partitionHook());
        assertEquals(hook, t1.partitionHook());
    }

    @Test
    void outgoingBlockDropsRequestsBeforeTheyAreSentAndLeavesTheOtherWayOpen() throws Exception {
        startPair();
        hook.block(List.of(2L), true, false);

        t1.send(new Message.VoteRequest(1, 2, 3, 0, 0, true, false));
        assertEquals(0, t1.stats(2).sent());
        assertEquals(1, t1.stats(2).dropped());

        // Node 2 still reaches node 1, and gets its answer: the cut is one-way.
        t2.send(new Message.VoteRequest(2, 1, 3, 0, 0, true, false));
        assertEquals(new Message.VoteRequest(2, 1, 3, 0, 0, true, false), next(inbound1.requests, WAIT));
        assertEquals(new Message.VoteResponse(1, 2, 3, true, true), next(inbound2.responses, WAIT));
        assertTrue(inbound2.requests.isEmpty());

        hook.unblock(List.of(2L), true, false);
        t1.send(new Message.VoteRequest(1, 2, 4, 0, 0, true, false));
        assertEquals(new Message.VoteRequest(1, 2, 4, 0, 0, true, false), next(inbound2.requests, WAIT));
    }

    @Test
    void onAnExchangeStreamAnIncomingBlockDropsThePeersMessagesUnreadAndTheStreamGoesOn() throws Exception {
        startPair(true);
        hook.block(List.of(2L), false, true);

        t2.send(new Message.AppendRequest(2, 1, 3, 0, 0, List.of(), 0, 0));
        Await.until(WAIT, "node 1 refuses node 2's message", () -> hook.refusedIncoming() == 1);

        t1.send(new Message.AppendRequest(1, 2, 3, 0, 0, List.of(), 0, 0));
        assertEquals(new Message.AppendRequest(1, 2, 3, 0, 0, List.of(), 0, 0), next(inbound2.requests, WAIT));
        assertEquals(new Message.AppendResponse(2, 1, 3, true, 0, 0, 0, 0, 0), next(inbound1.responses, WAIT));

        hook.unblockAll();
        t2.send(new Message.AppendRequest(2, 1, 4, 0, 0, List.of(), 0, 0));
        assertEquals(new Message.AppendRequest(2, 1, 4, 0, 0, List.of(), 0, 0), next(inbound1.requests, WAIT),
                "the refused message never reached the node; the next one on the same stream does");
        assertEquals(new Message.AppendResponse(1, 2, 4, true, 0, 0, 0, 0, 0), next(inbound2.responses, WAIT));
        assertTrue(inbound1.requests.isEmpty());
        assertEquals(0, t2.stats(1).failed(), "the stream was never broken");
    }

    @Test
    void incomingBlockRefusesThePeersRequestsUnreadAndLeavesTheOtherWayOpen() throws Exception {
        startPair();
        hook.block(List.of(2L), false, true);

        t2.send(new Message.AppendRequest(2, 1, 3, 0, 0, List.of(), 0, 0));
        Map.Entry<Long, Status> ended = next(calls2, WAIT);
        assertEquals(1L, ended.getKey());
        assertEquals(Status.Code.UNAVAILABLE, ended.getValue().getCode());
        assertTrue(inbound1.requests.isEmpty(), "a refused request must not reach the node");

        t1.send(new Message.AppendRequest(1, 2, 3, 0, 0, List.of(), 0, 0));
        assertEquals(new Message.AppendRequest(1, 2, 3, 0, 0, List.of(), 0, 0), next(inbound2.requests, WAIT));
        assertEquals(new Message.AppendResponse(2, 1, 3, true, 0, 0, 0, 0, 0), next(inbound1.responses, WAIT));

        hook.unblockAll();
        assertEquals(List.of(), hook.incoming());
        t2.send(new Message.AppendRequest(2, 1, 4, 0, 0, List.of(), 0, 0));
        assertEquals(new Message.AppendRequest(2, 1, 4, 0, 0, List.of(), 0, 0), next(inbound1.requests, WAIT));
        assertEquals(Status.Code.OK, next(calls2, WAIT).getValue().getCode());
    }

    @Test
    void blocksAddUpPerDirectionAndUnblockRemovesOnlyWhatItNames() {
        hook.block(List.of(3L, 1L), true, true);
        hook.block(List.of(4L), false, true);
        assertEquals(List.of(1L, 3L), hook.outgoing());
        assertEquals(List.of(1L, 3L, 4L), hook.incoming());

        hook.unblock(List.of(3L), false, true);
        assertEquals(List.of(1L, 3L), hook.outgoing());
        assertEquals(List.of(1L, 4L), hook.incoming());
        assertTrue(hook.dropsOutgoing(3));
        assertFalse(hook.refusesIncoming(3));

        hook.unblockAll();
        assertEquals(List.of(), hook.outgoing());
        assertEquals(List.of(), hook.incoming());
    }
}
