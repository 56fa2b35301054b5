package raftkv.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The leader's ReadIndex bookkeeping (Raft thesis 6.4). A read records the commit index when it
 * arrives and a read round number ({@code seq}); it is released once a quorum has answered a
 * message sent after it arrived, which proves this node was still leader at that moment.
 * Reads that arrive before the leader has committed an entry of its own term wait for that first.
 * A follower's request is itself such an answer from the follower: it sent the request, in this
 * leader's term, after its reads arrived; so when the leader and the asker make a quorum (three
 * voters) its reads need no round at all.
 *
 * <p>A read is this node's own (a client read it serves) or a follower's batch: {@code requester}
 * is the node to answer, {@code id} the local request id or the follower's batch context.
 */
final class ReadIndex {
    /** A read to answer: who asked ({@code requester}) and under which id. */
    record Read(long requester, long id) {}

    private record Pending(Read read, long index, long seq) {}

    // Invariant: pending is ordered by seq (and so by index), oldest first.
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final List<Read> awaitingTermCommit = new ArrayList<>();
    // The current read round; messages the leader sends carry it. Invariant: broadcastSeq <= seq.
    private long seq;
    // The highest round already announced to every follower.
    private long broadcastSeq;

    long seq() {
        return seq;
    }

    /** Adds a read that may be confirmed by the next round of messages. */
    void add(Read read, long commitIndex) {
        if (seq == broadcastSeq) seq++; // reads arriving before the next broadcast share one round
        pending.addLast(new Pending(read, commitIndex, seq));
    }

    /** Parks a read until the leader has committed an entry of its term. */
    void awaitTermCommit(Read read) {
        awaitingTermCommit.add(read);
    }

    /** The reads parked by {@link #awaitTermCommit}, now to be added; clears them. */
    List<Read> takeAwaitingTermCommit() {
        List<Read> reads = new ArrayList<>(awaitingTermCommit);
        awaitingTermCommit.clear();
        return reads;
    }

    /** True if a round has reads waiting for it that no message has announced yet. */
    boolean needsBroadcast() {
        return seq > broadcastSeq;
    }

    void markBroadcast() {
        broadcastSeq = seq;
    }

    /** Where a confirmed read goes: once {@code index} is applied, reading is linearizable for {@code read}. */
    interface Confirmed {
        void read(Read read, long index);
    }

    /** Whether a quorum confirms {@code read} in round {@code seq}: the leader, the asker, and the nodes that acknowledged the round. */
    interface RoundQuorum {
        boolean confirms(Read read, long seq);
    }

    /**
     * Releases, oldest first, the reads a quorum confirms, up to the first it does not: the work is
     * proportional to what is released, however many reads wait (a flood of reads must not make each
     * acknowledgement scan them all). A follower's read that its asker would confirm may so wait
     * behind an older read of the leader's own, for at most that read's round.
     */
    void release(RoundQuorum quorum, Confirmed out) {
        while (!pending.isEmpty() && quorum.confirms(pending.peekFirst().read(), pending.peekFirst().seq())) {
            Pending p = pending.removeFirst();
            out.read(p.read(), p.index());
        }
    }

    /** Leadership lost: every read still waiting is reported, to be dropped. */
    void dropAll(List<Read> out) {
        for (Pending p : pending) out.add(p.read());
        out.addAll(awaitingTermCommit);
        pending.clear();
        awaitingTermCommit.clear();
    }
}
