package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.transport.RecordingNode.next;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.Entry;
import raftkv.proto.raft.PeerMessage;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.proto.raft.ReadIndexRequest;
import raftkv.proto.raft.VoteRequest;
import raftkv.proto.raft.VoteResponse;
import raftkv.raft.Message;

/**
 * raft.proto's Exchange stream from the receiving side, spoken by hand: the receiver first says
 * the stream is served, answers votes and appends on it, and drops (as if lost) a message its unary
 * call would refuse, a wrong cluster id, a malformed request, an answer where requests go, while the
 * stream goes on and the node never sees them.
 */
class ExchangeStreamTest {
    private static final int MAX_MESSAGE = GrpcTransport.maxMessageBytes(1 << 20);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    @AfterEach
    void closeEverything() throws Exception {
        while (!toClose.isEmpty()) toClose.pop().close();
    }

    @Test
    void refusedMessagesAreDroppedAndTheStreamGoesOn() throws Exception {
        int port = Loopback.freePort();
        GrpcTransport node2 = new GrpcTransport(2, Map.of(1L, Loopback.target(Loopback.freePort())), MAX_MESSAGE);
        toClose.push(node2);
        RecordingNode inbound = new RecordingNode();
        node2.start(inbound);
        PeerServer server = PeerServer.start(Loopback.HOST, port, MAX_MESSAGE, List.of(node2.peerService()));
        toClose.push(server);
        ManagedChannel channel = ManagedChannelBuilder.forTarget(Loopback.target(port)).usePlaintext().build();
        toClose.push(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));

        BlockingQueue<PeerMessage> answers = new LinkedBlockingQueue<>();
        BlockingQueue<Throwable> ended = new LinkedBlockingQueue<>();
        StreamObserver<PeerMessage> stream = RaftPeerGrpc.newStub(channel).exchange(new StreamObserver<>() {
            @Override
            public void onNext(PeerMessage m) {
                answers.add(m);
            }

            @Override
            public void onError(Throwable t) {
                ended.add(t);
            }

            @Override
            public void onCompleted() {
                ended.add(new IllegalStateException("completed"));
            }
        });
        assertEquals(PeerMessage.getDefaultInstance(), next(answers, WAIT), "the receiver first says it serves the stream");

        long cluster = GrpcTransport.TEST_CLUSTER_ID;
        VoteRequest.Builder vote = VoteRequest.newBuilder().setTerm(4).setCandidateId(1).setPreVote(true).setClusterId(cluster);
        stream.onNext(PeerMessage.newBuilder().setVoteRequest(vote.clone().setClusterId(cluster + 1)).build());
        stream.onNext(PeerMessage.newBuilder().setAppendRequest(AppendRequest.newBuilder().setTerm(4).setLeaderId(1)
                .setClusterId(cluster).addEntries(Entry.newBuilder().setIndex(0).setTerm(4))).build()); // index 0: malformed
        stream.onNext(PeerMessage.newBuilder().setVoteResponse(VoteResponse.newBuilder().setTerm(4).setClusterId(cluster)).build());
        stream.onNext(PeerMessage.newBuilder().setReadIndex(ReadIndexRequest.newBuilder().setTerm(4).setFollowerId(7)
                .setContext(1).setClusterId(cluster)).build()); // not a peer
        stream.onNext(PeerMessage.getDefaultInstance());
        stream.onNext(PeerMessage.newBuilder().setVoteRequest(vote).build());

        PeerMessage answer = next(answers, WAIT);
        assertEquals(PeerMessage.BodyCase.VOTE_RESPONSE, answer.getBodyCase(), answer.toString());
        assertEquals(4, answer.getVoteResponse().getTerm());
        assertEquals(cluster, answer.getVoteResponse().getClusterId());
        assertEquals(new Message.VoteRequest(1, 2, 4, 0, 0, true, false), next(inbound.requests, WAIT),
                "the only message the node saw is the last, valid one");
        assertTrue(inbound.requests.isEmpty());
        assertTrue(answers.isEmpty(), "nothing answered the refused messages");
        assertTrue(ended.isEmpty(), "the stream is still open");

        stream.onNext(PeerMessage.newBuilder().setVoteRequest(vote.clone().setTerm(5)).build());
        assertEquals(5, next(answers, WAIT).getVoteResponse().getTerm());
        stream.onCompleted();
        assertTrue(next(ended, WAIT) instanceof IllegalStateException, "the receiver ends its side when the sender does");
    }
}
