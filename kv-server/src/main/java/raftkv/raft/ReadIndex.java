package raftkv.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * The leader's ReadIndex bookkeeping (Raft thesis 6.4). A read records the commit index when it
 * arrives and a read round number ({@code seq}); it is released once a quorum has answered a
 * message sent after it arrived, which proves this node was still leader at that moment.
 * Reads that arrive before the leader has committed an entry of its own term wait for that first.
 */
final class ReadIndex {
    private record Pending(long requestId, long index, long seq) {}

    // Invariant: pending is ordered by seq (and so by index), oldest first.
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final List<Long> awaitingTermCommit = new ArrayList<>();
    // The current read round; messages the leader sends carry it. Invariant: broadcastSeq <= seq.
    private long seq;
    // The highest round already announced to every follower.
    private long broadcastSeq;

    long seq() {
        return seq;
    }

    /** Adds a read that may be confirmed by the next round of messages. */
    void add(long requestId, long commitIndex) {
        if (seq == broadcastSeq) seq++; // reads arriving before the next broadcast share one round
        pending.addLast(new Pending(requestId, commitIndex, seq));
    }

    /** Parks a read until the leader has committed an entry of its term. */
    void awaitTermCommit(long requestId) {
        awaitingTermCommit.add(requestId);
    }

    /** The reads parked by {@link #awaitTermCommit}, now to be added; clears them. */
    List<Long> takeAwaitingTermCommit() {
        List<Long> ids = new ArrayList<>(awaitingTermCommit);
        awaitingTermCommit.clear();
        return ids;
    }

    /** True if a round has reads waiting for it that no message has announced yet. */
    boolean needsBroadcast() {
        return seq > broadcastSeq;
    }

    void markBroadcast() {
        broadcastSeq = seq;
    }

    /** Releases, oldest first, every read whose round a quorum has acknowledged. */
    void release(LongPredicate quorumAcked, List<ReadState> out) {
        while (!pending.isEmpty() && quorumAcked.test(pending.peekFirst().seq())) {
            Pending p = pending.removeFirst();
            out.add(new ReadState(p.requestId(), p.index()));
        }
    }

    /** Leadership lost: every read still waiting is reported as dropped. */
    void dropAll(List<Long> out) {
        for (Pending p : pending) out.add(p.requestId());
        out.addAll(awaitingTermCommit);
        pending.clear();
        awaitingTermCommit.clear();
    }
}
