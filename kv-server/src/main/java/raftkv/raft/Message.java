package raftkv.raft;

import java.util.List;

/**
 * The messages Raft peers exchange. Every message carries the sender's term.
 *
 * <p>Contract for transports that map requests to RPCs: every {@link VoteRequest},
 * {@link AppendRequest} and {@link SnapshotRequest} a core takes ({@link StepResult#TAKEN}) is
 * answered by exactly one response to the sender, and responses to one peer leave in the order
 * their requests were stepped. A request the core refuses ({@link StepResult.Refused}) gets no
 * response at all. {@link TimeoutNow}, {@link ReadIndexRequest} and {@link ReadIndexResponse} are
 * one-way: they have no response of their own ({@link #isOneWay}).
 */
public sealed interface Message {
    long from();

    long to();

    long term();

    /**
     * RequestVote (Raft paper 5.2, 5.4.1). With {@code preVote} the receiver only says whether
     * it would vote in {@code term} and changes no state of its own (thesis 9.6).
     * {@code transfer} marks an election started by {@link TimeoutNow}, which voters grant
     * even while they still hear from a leader.
     */
    record VoteRequest(long from, long to, long term, long lastLogIndex, long lastLogTerm,
                       boolean preVote, boolean transfer) implements Message {}

    /** Answer to a {@link VoteRequest}; {@code preVote} echoes the request's flag. */
    record VoteResponse(long from, long to, long term, boolean granted, boolean preVote) implements Message {}

    /**
     * AppendEntries (Raft paper 5.3); with no entries it is a heartbeat. {@code readSeq} is
     * the leader's read round counter, echoed in the response, that confirms leadership for
     * ReadIndex reads (thesis 6.4).
     */
    record AppendRequest(long from, long to, long term, long prevLogIndex, long prevLogTerm,
                         List<Entry> entries, long leaderCommit, long readSeq) implements Message {
        public AppendRequest {
            entries = List.copyOf(entries);
        }
    }

    /**
     * Answer to an {@link AppendRequest}.
     *
     * @param matchIndex    on success, the last index the follower now knows matches the leader
     * @param rejectedIndex on rejection, the request's prevLogIndex (lets the leader spot stale rejections)
     * @param hintIndex     on rejection, the largest index at or below prevLogIndex whose term is at
     *                      most the request's prevLogTerm (or the follower's last index, if shorter)
     * @param hintTerm      on rejection, the follower's term at {@code hintIndex}
     * @param readSeq       the request's readSeq, echoed
     */
    record AppendResponse(long from, long to, long term, boolean success, long matchIndex,
                          long rejectedIndex, long hintIndex, long hintTerm, long readSeq) implements Message {}

    /**
     * InstallSnapshot (Raft paper 7). The core only names the snapshot; the node streams its
     * bytes alongside and hands them to the follower's state machine. {@code membership} is the
     * cluster's membership as of the snapshot's index; null when unknown (a snapshot from before
     * any membership change: the follower then takes its initial membership).
     */
    record SnapshotRequest(long from, long to, long term, SnapshotMeta snapshot, Membership membership) implements Message {
        public SnapshotRequest(long from, long to, long term, SnapshotMeta snapshot) {
            this(from, to, term, snapshot, null);
        }

        /** This request, carrying the membership stored in the snapshot that came with it. */
        public SnapshotRequest withMembership(Membership m) {
            return new SnapshotRequest(from, to, term, snapshot, m);
        }
    }

    /** Answer to a {@link SnapshotRequest}: the follower's log now matches up to {@code matchIndex}. */
    record SnapshotResponse(long from, long to, long term, long matchIndex) implements Message {}

    /** Leadership transfer (thesis 3.10): the receiver starts an election at once. */
    record TimeoutNow(long from, long to, long term) implements Message {}

    /**
     * A follower's (or learner's) request for a read index on behalf of a batch of its clients'
     * reads (thesis 6.4). {@code context} names the batch: the answer carries it back, and the
     * follower takes an answer only for the batch it is waiting on. One-way: the leader answers
     * with a {@link ReadIndexResponse} of its own, once its leadership is confirmed.
     */
    record ReadIndexRequest(long from, long to, long term, long context) implements Message {}

    /**
     * The answer to a {@link ReadIndexRequest}. {@code granted}: the sender led {@code term} when
     * the request arrived, had committed an entry of that term, and a quorum has since confirmed its
     * leadership; {@code index} is its commit index when the request arrived (or, had it not committed
     * an entry of its term by then, when it had), which the follower must have applied before it serves
     * the batch. Not granted ({@code index} 0): the sender does not
     * lead (any more), and the batch's reads are to be retried.
     */
    record ReadIndexResponse(long from, long to, long term, long context, boolean granted, long index) implements Message {}

    /** True for the messages that expect a response. */
    static boolean isRequest(Message m) {
        return m instanceof VoteRequest || m instanceof AppendRequest || m instanceof SnapshotRequest;
    }

    /** True for the messages that expect no response and are no response themselves: sent like requests. */
    static boolean isOneWay(Message m) {
        return m instanceof TimeoutNow || m instanceof ReadIndexRequest || m instanceof ReadIndexResponse;
    }
}
