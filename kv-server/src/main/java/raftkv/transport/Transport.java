package raftkv.transport;

import java.nio.file.Path;
import java.util.function.Consumer;
import raftkv.raft.Message;

/**
 * Carries Raft messages between nodes. Requests ({@link Message.VoteRequest},
 * {@link Message.AppendRequest}, {@link Message.SnapshotRequest}) and one-way messages
 * ({@link Message#isOneWay}: {@link Message.TimeoutNow}, the ReadIndex request and its answer) go out
 * through {@link #send}; the peer's answer to a request comes back through {@link Inbound#onResponse}.
 * Requests from peers arrive through {@link Inbound#onRequest} with a callback for the answer,
 * except snapshots, which arrive whole, as a file, through {@link Inbound#onSnapshot}.
 *
 * <p>Delivery is best effort: a message may be lost (Raft retries), never corrupted. A slow or
 * dead peer must not delay messages to the others: each peer has a bounded queue, and what does
 * not fit is dropped. A {@link Message.SnapshotRequest} names a snapshot; the transport ships the
 * bytes of a local snapshot file at least that recent alongside it.
 */
public interface Transport extends AutoCloseable {
    /** Where inbound traffic goes; called on transport threads, so implementations only enqueue. */
    interface Inbound {
        /**
         * A request from a peer. {@code reply} must be called exactly once with the core's response
         * (for a one-way message, which has none, with null), on any thread; null for any
         * other request means the node did not take it, and the peer is told UNAVAILABLE.
         */
        void onRequest(Message request, Consumer<Message> reply);

        /** A peer's answer to a request this node sent. */
        void onResponse(Message response);

        /**
         * A whole snapshot a peer streamed here: every byte arrived, its CRC-32C matched, and the
         * file is fsynced. The node now owns {@code file} (adopts or deletes it). {@code reply}: called
         * exactly once with the core's {@link Message.SnapshotResponse} (or null: the peer is told
         * UNAVAILABLE and retries). If this method throws before {@code reply} is called, the
         * transport deletes the file and tells the peer UNAVAILABLE.
         */
        void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply);
    }

    /** Begins delivering inbound traffic to {@code inbound}. */
    void start(Inbound inbound);

    /** Sends a request to {@code request.to()}; never blocks. */
    void send(Message request);

    @Override
    void close();
}
