package raftkv.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * A follower's side of ReadIndex (thesis 6.4): its clients' reads, batched, each batch one
 * {@link Message.ReadIndexRequest} to the leader. At most one batch is out at a time; reads that
 * arrive meanwhile wait for the next. A batch ends with the leader's answer (its index, or a
 * refusal), with a leader change, or unanswered after a timeout (the request or its answer was
 * lost); its reads are then dropped, and the node retries them.
 */
final class FollowerReads {
    /** The batch sent and not yet answered. */
    private record Batch(long context, long leader, long term, List<Long> requestIds) {}

    private List<Long> queued = new ArrayList<>();
    private Batch outstanding;
    // Ticks since the outstanding batch was sent.
    private int elapsed;

    void add(long requestId) {
        queued.add(requestId);
    }

    /** True if reads wait for a batch and none is out. */
    boolean readyToSend() {
        return outstanding == null && !queued.isEmpty();
    }

    /** The queued reads become the outstanding batch, to be asked of {@code leader} in {@code term} under {@code context}. */
    void sent(long context, long leader, long term) {
        outstanding = new Batch(context, leader, term, queued);
        queued = new ArrayList<>();
        elapsed = 0;
    }

    /**
     * The request ids of the outstanding batch if {@code answer} is its answer (same context, from the
     * node asked, in the term asked), which ends the batch; null otherwise (a late, duplicated or
     * foreign answer, ignored).
     */
    List<Long> answered(Message.ReadIndexResponse answer) {
        Batch b = outstanding;
        if (b == null || b.context() != answer.context() || b.leader() != answer.from() || b.term() != answer.term()) return null;
        outstanding = null;
        return b.requestIds();
    }

    /** One tick; an outstanding batch unanswered for {@code timeoutTicks} is dropped into {@code dropped}. */
    void tick(int timeoutTicks, List<Long> dropped) {
        if (outstanding == null || ++elapsed < timeoutTicks) return;
        dropped.addAll(outstanding.requestIds());
        outstanding = null;
    }

    /** The leader changed (or this node stopped following): every read, sent or not, is dropped. */
    void dropAll(List<Long> dropped) {
        if (outstanding != null) dropped.addAll(outstanding.requestIds());
        dropped.addAll(queued);
        outstanding = null;
        queued = new ArrayList<>();
    }
}
