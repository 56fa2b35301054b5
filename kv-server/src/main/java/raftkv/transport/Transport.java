package raftkv.transport;

import raftkv.raft.Message;

/**
 * Carries Raft messages between nodes. Requests ({@link Message.VoteRequest},
 * {@link Message.AppendRequest}, {@link Message.SnapshotRequest}, {@link Message.TimeoutNow}) go out
 * through {@link #send}; the peer's answer comes back through {@link Inbound#onResponse}.
 * Requests from peers arrive through {@link Inbound#onRequest} with a callback for the answer.
 *
 * <p>Delivery is best effort: a message may be lost (Raft retries), never corrupted. A slow or
 * dead peer must not delay messages to the others: each peer has a bounded queue, and what does
 * not fit is dropped.
 */
public interface Transport extends AutoCloseable {
    /** Where inbound traffic goes; called on transport threads, so implementations only enqueue. */
    interface Inbound {
        /**
         * A request from a peer. {@code reply} must be called exactly once with the core's response
         * (for {@link Message.TimeoutNow}, which has none, with null), on any thread.
         */
        void onRequest(Message request, java.util.function.Consumer<Message> reply);

        /** A peer's answer to a request this node sent. */
        void onResponse(Message response);
    }

    /** Begins delivering inbound traffic to {@code inbound}. */
    void start(Inbound inbound);

    /** Sends a request to {@code request.to()}; never blocks. */
    void send(Message request);

    @Override
    void close();
}
