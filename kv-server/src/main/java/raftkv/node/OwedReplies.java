package raftkv.node;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import raftkv.raft.Message;

/**
 * The answers a node owes its peers: for each peer and kind of request, the reply callbacks of the
 * requests the core took, in the order it took them. The core answers every request it takes
 * exactly once and in order (Message's contract), so each response it emits goes to the oldest
 * callback of its peer and kind. Owned by the node thread.
 */
final class OwedReplies {
    /** The kinds of request that have an answer. */
    private enum Kind { VOTE, APPEND, SNAPSHOT }

    private record Key(long peer, Kind kind) {}

    private final Map<Key, ArrayDeque<Consumer<Message>>> owed = new HashMap<>();

    /** {@code reply} waits for the core's answer to {@code request}. */
    void owe(Message request, Consumer<Message> reply) {
        owed.computeIfAbsent(new Key(request.from(), kindOfRequest(request)), k -> new ArrayDeque<>()).addLast(reply);
    }

    /**
     * Hands {@code response} to the callback owed it; with {@code silent}, the callback gets null
     * instead (the peer is told the request was not taken). False if no callback was owed.
     */
    boolean answer(Message response, boolean silent) {
        ArrayDeque<Consumer<Message>> queue = owed.get(new Key(response.to(), kindOfResponse(response)));
        Consumer<Message> reply = queue == null ? null : queue.pollFirst();
        if (reply == null) return false;
        reply.accept(silent ? null : response);
        return true;
    }

    private static Kind kindOfRequest(Message request) {
        if (request instanceof Message.VoteRequest) return Kind.VOTE;
        if (request instanceof Message.AppendRequest) return Kind.APPEND;
        if (request instanceof Message.SnapshotRequest) return Kind.SNAPSHOT;
        throw new IllegalArgumentException("no answer is owed to " + request);
    }

    private static Kind kindOfResponse(Message response) {
        if (response instanceof Message.VoteResponse) return Kind.VOTE;
        if (response instanceof Message.AppendResponse) return Kind.APPEND;
        if (response instanceof Message.SnapshotResponse) return Kind.SNAPSHOT;
        throw new IllegalArgumentException(response + " is not an answer");
    }
}
