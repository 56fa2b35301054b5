package raftkv.raft;

import java.util.List;

/**
 * Everything a core asks of its node since the last {@link RaftCore#advance(Ready)}.
 * The node handles it in this order, then calls {@code advance}:
 * <ol>
 *   <li>persist {@code hardState} (if set), then {@code snapshot} (if set), then {@code entries},
 *       in that order, and sync: nothing below may happen before these are durable. The order
 *       matters if a crash keeps only a prefix of these writes: a snapshot or entry of a term
 *       must never be on disk without that term;</li>
 *   <li>send {@code messages}; those {@link #sendableBeforeSync} may go before the sync instead
 *       (thesis 10.2.1: the leader writes its log while its followers write theirs);</li>
 *   <li>apply {@code committedEntries} in order;</li>
 *   <li>serve {@code readStates} once the applied index reaches each one's index, and fail
 *       {@code droppedReads} (this node lost leadership: the client should retry).</li>
 * </ol>
 *
 * @param softState        role, term and leader, or null if unchanged since the last Ready
 * @param hardState        term and vote to persist, or null if unchanged
 * @param snapshot         a snapshot this follower accepted from its leader, or null: the node restores
 *                         its state machine from the snapshot bytes received with it, persists the snapshot,
 *                         and drops every stored entry (the log restarts after {@code snapshot.index()})
 * @param entries          to append to the stable log, replacing every stored entry whose index is at least
 *                         {@code entries.get(0).index()} (a follower truncates a conflicting suffix this way)
 * @param messages         to send once the above is durable
 * @param committedEntries newly committed, to apply in index order
 * @param readStates       confirmed ReadIndex reads
 * @param droppedReads     request ids of reads that will never be confirmed by this node
 */
public record Ready(SoftState softState, HardState hardState, SnapshotMeta snapshot, List<Entry> entries,
                    List<Message> messages, List<Entry> committedEntries, List<ReadState> readStates,
                    List<Long> droppedReads) {
    public Ready {
        entries = List.copyOf(entries);
        messages = List.copyOf(messages);
        committedEntries = List.copyOf(committedEntries);
        readStates = List.copyOf(readStates);
        droppedReads = List.copyOf(droppedReads);
    }

    /** True if there is nothing to persist, send, apply or answer. */
    public boolean isEmpty() {
        return softState == null && hardState == null && snapshot == null && entries.isEmpty()
                && messages.isEmpty() && committedEntries.isEmpty() && readStates.isEmpty() && droppedReads.isEmpty();
    }

    /**
     * Whether {@code m} may be sent before this Ready's writes are durable: a leader's AppendEntries
     * (entries or heartbeat), when the Ready persists no term, vote or snapshot. A follower that
     * stores entries the leader has not synced yet is harmless, because the core counts the leader's
     * own entries toward commit only once {@code advance} reports them synced; if the leader crashes
     * first, they are committed only if a majority of the others stored them. Everything else (votes,
     * acknowledgements, TimeoutNow) waits for the sync.
     */
    public boolean sendableBeforeSync(Message m) {
        return hardState == null && snapshot == null && m instanceof Message.AppendRequest;
    }

    /** True if something must be made durable before the messages go out. */
    public boolean mustSync() {
        return hardState != null || snapshot != null || !entries.isEmpty();
    }
}
