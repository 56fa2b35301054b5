package raftkv.transport;

import java.nio.file.Path;
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

    /** A snapshot that arrived: the file is the node's now, and {@code reply} answers the leader. */
    record Snapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {}

    final BlockingQueue<Snapshot> snapshots = new LinkedBlockingQueue<>();
    /** Computes the reply to each snapshot; when null, the test replies through the recorded callback. */
    volatile Function<Message.SnapshotRequest, Message> snapshotResponder = RecordingNode::install;

    @Override
    public void onRequest(Message request, Consumer<Message> reply) {
        requests.add(request);
        reply.accept(responder.apply(request));
    }

    @Override
    public void onResponse(Message response) {
        responses.add(response);
    }

    @Override
    public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {
        snapshots.add(new Snapshot(request, file, reply));
        Function<Message.SnapshotRequest, Message> respond = snapshotResponder;
        if (respond != null) reply.accept(respond.apply(request));
    }

    /** Installs every snapshot: the log now matches up to its last index. */
    static Message install(Message.SnapshotRequest s) {
        return new Message.SnapshotResponse(s.to(), s.from(), s.term(), s.snapshot().index());
    }

    /** Grants every vote, accepts every append (echoing read_seq), answers one-way messages (TimeoutNow, ReadIndex) with null. */
    static Message grant(Message request) {
        if (request instanceof Message.VoteRequest v) {
            return new Message.VoteResponse(v.to(), v.from(), v.term(), true, v.preVote());
        }
        if (request instanceof Message.AppendRequest a) {
            return new Message.AppendResponse(a.to(), a.from(), a.term(), true,
                    a.prevLogIndex() + a.entries().size(), 0, 0, 0, a.readSeq());
        }
        if (Message.isOneWay(request)) return null;
        throw new IllegalArgumentException("unexpected " + request);
    }

    static <T> T next(BlockingQueue<T> queue, Duration timeout) throws InterruptedException {
        T item = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (item == null) throw new AssertionError("nothing arrived within " + timeout);
        return item;
    }
}
