package raftkv.sim;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import raftkv.raft.Entry;
import raftkv.raft.RaftCore;
import raftkv.raft.SnapshotMeta;

/**
 * Raft's safety properties (Raft paper figure 3), checked incrementally as the simulation runs,
 * plus the linearizability of ReadIndex reads. Each check throws {@link SafetyViolation}.
 */
final class Invariants {
    private record EntryKey(long index, long term) {}

    private record EntryFacts(Entry entry, long prevTerm) {}

    private final int quorum;
    // Election Safety: at most one leader per term.
    private final Map<Long, Long> leaderOfTerm = new HashMap<>();
    // Log Matching: every (index, term) seen on any disk, with its contents and its predecessor's term.
    private final Map<EntryKey, EntryFacts> entriesSeen = new HashMap<>();
    // The entry committed at each index, by whichever node learned of it first.
    private final Map<Long, Entry> committedAt = new HashMap<>();
    // The register value captured by a snapshot at each index: unique, whichever node took it.
    private final Map<Long, Register> snapshotAt = new HashMap<>();
    private long maxCommitted;
    // The highest write index acknowledged to a client so far.
    long ackedMax;
    long acks;
    long readsServed;

    Invariants(int clusterSize) {
        this.quorum = clusterSize / 2 + 1;
    }

    int elections() {
        return leaderOfTerm.size();
    }

    long commits() {
        return maxCommitted;
    }

    /** Election Safety, and Leader Completeness: a new leader holds every committed entry. */
    void onLeader(SimNode node, long term) {
        Long previous = leaderOfTerm.putIfAbsent(term, node.id);
        if (previous != null && previous != node.id) {
            throw new SafetyViolation("two leaders in term " + term + ": " + previous + " and " + node.id);
        }
        // Every committed entry this log should still hold must be there, with the same term.
        RaftCore core = node.core;
        long snapshotIndex = core.snapshotMeta().index();
        if (snapshotIndex > maxCommitted) return;
        if (core.status().lastIndex() < maxCommitted) {
            throw new SafetyViolation("leader " + node.id + " of term " + term + " ends at " + core.status().lastIndex()
                    + " but entry " + maxCommitted + " is committed");
        }
        for (long i = snapshotIndex + 1; i <= maxCommitted; i++) {
            Entry committed = committedAt.get(i);
            if (committed != null && !committed.equals(core.entry(i))) {
                throw new SafetyViolation("leader " + node.id + " of term " + term + " holds " + core.entry(i)
                        + " where " + committed + " is committed");
            }
        }
    }

    /** Log Matching: entries with the same index and term are identical and have identical predecessors. */
    void onPersist(SimNode node, List<Entry> written) {
        for (Entry e : written) {
            long prevTerm = node.disk.term(e.index() - 1);
            EntryFacts facts = new EntryFacts(e, prevTerm);
            EntryFacts seen = entriesSeen.putIfAbsent(new EntryKey(e.index(), e.term()), facts);
            if (seen != null && !seen.equals(facts)) {
                throw new SafetyViolation("log matching broken at " + e.index() + "/" + e.term() + " on node "
                        + node.id + ": " + facts + " vs " + seen);
            }
        }
    }

    /** Committed entries are never lost: no disk ever deletes one (Raft never truncates them). */
    void onTruncate(SimNode node, List<Entry> removed) {
        for (Entry e : removed) {
            if (e.equals(committedAt.get(e.index()))) {
                throw new SafetyViolation("node " + node.id + " deleted committed entry " + e.index() + "/" + e.term());
            }
        }
    }

    /** Every node that advances its commit index agrees on what it committed. */
    void onCommit(SimNode node, Entry e) {
        Entry first = committedAt.putIfAbsent(e.index(), e);
        if (first != null && !first.equals(e)) {
            throw new SafetyViolation("node " + node.id + " committed " + e + " where " + first + " was committed");
        }
        maxCommitted = Math.max(maxCommitted, e.index());
    }

    /** State Machine Safety: a node applies only the entry committed at that index. */
    void onApply(SimNode node, Entry e) {
        onCommit(node, e);
    }

    /**
     * A node captured its state machine at {@code meta}: the entry there is the one committed, and
     * every snapshot at one index, on any node, holds the same state.
     */
    void onSnapshot(SimNode node, SnapshotMeta meta, Register state) {
        Entry committed = committedAt.get(meta.index());
        if (committed == null || committed.term() != meta.term()) {
            throw new SafetyViolation("node " + node.id + " snapshot " + meta + " does not end at the committed " + committed);
        }
        Register first = snapshotAt.putIfAbsent(meta.index(), state);
        if (first != null && !first.equals(state)) {
            throw new SafetyViolation("node " + node.id + " snapshot at " + meta.index() + " is " + state + ", another was " + first);
        }
    }

    /** A snapshot that reached a node is one some node captured, with the state captured at that index. */
    void onSnapshotReceived(SimNode node, SnapshotMeta meta, Register state) {
        Register captured = snapshotAt.get(meta.index());
        if (captured == null) {
            throw new SafetyViolation("node " + node.id + " received snapshot " + meta + " that no node ever took");
        }
        if (!captured.equals(state)) {
            throw new SafetyViolation("node " + node.id + " received snapshot " + meta + " holding " + state
                    + " but the state at " + meta.index() + " is " + captured);
        }
        if (committedAt.get(meta.index()).term() != meta.term()) {
            throw new SafetyViolation("node " + node.id + " received snapshot " + meta + " but "
                    + committedAt.get(meta.index()) + " is committed there");
        }
    }

    void onAck(long index) {
        acks++;
        ackedMax = Math.max(ackedMax, index);
    }

    /** Linearizable reads: never older than a write acknowledged before the read began. */
    void onRead(SimNode node, SimNode.ReleasedRead read) {
        readsServed++;
        long seen = node.state.lastWriteIndex();
        if (seen < read.ackedAtStart()) {
            throw new SafetyViolation("stale read on node " + node.id + ": saw write " + seen
                    + " but write " + read.ackedAtStart() + " was acknowledged before the read began");
        }
    }

    /** Durability: the newest committed entry is on the disks of a majority, crashed nodes included. */
    void checkDurability(List<SimNode> nodes) {
        if (maxCommitted == 0) return;
        long term = committedAt.get(maxCommitted).term();
        int holders = 0;
        for (SimNode n : nodes) {
            if (n.disk.snapshot.index() >= maxCommitted || n.disk.term(maxCommitted) == term) holders++;
        }
        if (holders < quorum) {
            throw new SafetyViolation("committed entry " + maxCommitted + "/" + term + " is on only " + holders + " disks");
        }
    }
}
