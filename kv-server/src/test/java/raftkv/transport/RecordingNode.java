package raftkv.transport;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import raftkv.raft.Message;

/**
 * A stand-in for a node behind a transport: records what arrives and, by default, answers every
 * request at once the way a willing core would.
 */
final class RecordingNode implements Transport.Inbound {
    final BlockingQueue<Message> requests = new LinkedBlockingQueue<>();
    final BlockingQueue<Message> responses = new LinkedBlockingQueue<>();
    /** Computes the reply to each request; null for TimeoutNow. */
    volatile Function<Message, Message> responder = RecordingNode::grant;

    @Override
    public void onRequest(Message request, Consumer<Message> reply) {
        requests.add(request);
        reply.accept(responder.apply(request));
    }

    @Override
    public void onResponse(Message response) {
        responses.add(response);
    }

    /** Grants every vote, accepts every append (echoing read_seq), answers TimeoutNow with null. */
    static Message grant(Message request) {
        if (request instanceof Message.VoteRequest v) {
            return new Message.VoteResponse(v.to(), v.from(), v.term(), true, v.preVote());
        }
        if (request instanceof Message.AppendRequest a) {
            return new Message.AppendResponse(a.to(), a.from(), a.term(), true,
                    a.prevLogIndex() + a.entries().size(), 0, 0, 0, a.readSeq());
        }
        if (request instanceof Message.TimeoutNow) return null;
        throw new IllegalArgumentException("unexpected " + request);
    }

    static <T> T next(BlockingQueue<T> queue, Duration timeout) throws InterruptedException {
        T item = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (item == null) throw new AssertionError("nothing arrived within " + timeout);
        return item;
    }
}
