package raftkv.node;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import raftkv.raft.Message;

/**
 * What the node's thread is handed through its {@link NodeInbox}: peer traffic, client commands,
 * the node's own reports and admin calls. Each event knows how to refuse itself when the node stops
 * before handling it, so that nobody waits for an answer that will never come.
 */
sealed interface NodeEvent {
    /** Answers this event without handling it: the node is stopping, or failed. */
    void refuse(String reason);

    record PeerRequest(Message message, Consumer<Message> reply) implements NodeEvent {
        @Override
        public void refuse(String reason) {
            reply.accept(null); // the peer retries
        }
    }

    record PeerResponse(Message message) implements NodeEvent {
        @Override
        public void refuse(String reason) {
            // Nothing waits for a response: Raft resends what it still needs.
        }
    }

    /** A snapshot received whole and read on the transport's thread; the loop only swaps it in. */
    record PeerSnapshot(Message.SnapshotRequest request, SnapshotKeeper.Received received,
                        Consumer<Message> reply) implements NodeEvent {
        @Override
        public void refuse(String reason) {
            SnapshotKeeper.discard(received.file());
            reply.accept(null);
        }
    }

    record SnapshotWritten(SnapshotKeeper.Written result) implements NodeEvent {
        @Override
        public void refuse(String reason) {
            // The file stays; the next start finds it (or the next snapshot replaces it).
        }
    }

    record Submit(KvRequest request, CompletableFuture<NodeStep.Outcome> result, long deadlineNanos)
            implements NodeEvent {
        @Override
        public void refuse(String reason) {
            result.complete(new NodeStep.Outcome.Done(new KvResult.Unavailable(reason, null)));
        }
    }

    record BeginStop(CompletableFuture<Void> silenced) implements NodeEvent {
        @Override
        public void refuse(String reason) {
            silenced.complete(null);
        }
    }

    /** Runs {@code action} with the step on the loop and completes {@code result} with what it returns. */
    record Call<T>(Function<NodeStep, T> action, CompletableFuture<T> result) implements NodeEvent {
        void run(NodeStep step) {
            try {
                result.complete(action.apply(step));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
                throw e;
            }
        }

        @Override
        public void refuse(String reason) {
            result.completeExceptionally(new IllegalStateException(reason));
        }
    }

    /** Ends the loop ({@link RaftNode#close}). */
    record Stop() implements NodeEvent {
        @Override
        public void refuse(String reason) {
        }
    }
}
