package raftkv.raft;

/**
 * The leader's view of one follower (Raft paper figure 2: nextIndex, matchIndex), plus the
 * flow-control state of the replication pipeline.
 *
 * <p>Invariant: {@code match < next}.
 */
final class Progress {
    /** PROBE: one append at a time until the follower's log is found; REPLICATE: pipelined; SNAPSHOT: waiting for one. */
    enum State { PROBE, REPLICATE, SNAPSHOT }

    long match;
    long next;
    State state = State.PROBE;
    // PROBE: an append is out and no answer has come since (cleared each heartbeat so a lost probe is resent).
    boolean probeSent;
    // SNAPSHOT: the index of the snapshot sent, and heartbeats since, to resend one that was lost.
    long pendingSnapshot;
    int snapshotHeartbeats;
    // Whether the follower answered anything in the current check-quorum window.
    boolean recentActive;
    // match at the previous heartbeat: no progress over a whole interval means appends were lost.
    long matchAtLastHeartbeat;
    // The highest read round this follower acknowledged in the current term (ReadIndex).
    long ackedReadSeq;
    // The highest commit index an AppendEntries sent in this term lets the follower reach (the
    // commit index it carried, capped at the entries the follower is then known to hold).
    long commitSent;
    final Inflights inflights;

    Progress(long next, int maxInflight) {
        this.next = next;
        this.inflights = new Inflights(maxInflight);
    }

    void becomeProbe() {
        state = State.PROBE;
        next = match + 1;
        probeSent = false;
        inflights.reset();
    }

    void becomeReplicate() {
        state = State.REPLICATE;
        next = match + 1;
        probeSent = false;
        inflights.reset();
    }

    void becomeSnapshot(long snapshotIndex) {
        state = State.SNAPSHOT;
        pendingSnapshot = snapshotIndex;
        snapshotHeartbeats = 0;
        inflights.reset();
    }

    /**
     * Drops what this follower was known to hold: it refused an entry it had acknowledged. The
     * next probe's answer sets match again.
     */
    void forgetMatch() {
        match = 0;
        matchAtLastHeartbeat = 0;
    }

    /** Records a successful match; returns true if it moved forward. */
    boolean maybeUpdate(long index) {
        boolean advanced = index > match;
        if (advanced) match = index;
        if (next < match + 1) next = match + 1;
        return advanced;
    }
}
