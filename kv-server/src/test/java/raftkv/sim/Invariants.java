package raftkv.sim;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import raftkv.raft.Entry;
import raftkv.raft.EntryType;
import raftkv.raft.Membership;
import raftkv.raft.MembershipCodec;
import raftkv.raft.RaftCore;
import raftkv.raft.SnapshotMeta;

/**
 * Raft's safety properties (Raft paper figure 3), checked incrementally as the simulation runs,
 * and the agreement of snapshots: every snapshot of one index, taken or received on any node,
 * holds the same bytes. Each check throws {@link SafetyViolation}. The linearizability of what
 * clients saw is checked on their history ({@link SimClients}).
 */
final class Invariants {
    /** What the durability check reads of a node's disk, crashed or not. */
    interface Disk {
        long nodeId();

        /** The index of the newest snapshot on the disk (0: none). */
        long snapshotIndex();

        /** The term of entry {@code index} in the synced log, or -1 if it is not there. */
        long durableTerm(long index);
    }

    private record EntryKey(long index, long term) {}

    private record EntryFacts(Entry entry, long prevTerm) {}

    // The initial membership: every node a voter.
    private final Membership initial;
    // The configurations committed at each index (CONFIG entries), for the durability check's majority.
    private final TreeMap<Long, Membership> committedConfigs = new TreeMap<>();
    // Every configuration a leader appended, by index (a later leader may have replaced some).
    private final TreeMap<Long, List<Membership>> proposedConfigs = new TreeMap<>();
    // Election Safety: at most one leader per term.
    private final Map<Long, Long> leaderOfTerm = new HashMap<>();
    // Log Matching: every (index, term) seen on any disk, with its contents and its predecessor's term.
    private final Map<EntryKey, EntryFacts> entriesSeen = new HashMap<>();
    // The entry committed at each index, by whichever node learned of it first.
    private final Map<Long, Entry> committedAt = new HashMap<>();
    // The digest of the snapshot file taken at each index: unique, whichever node took it.
    private final Map<Long, Long> snapshotAt = new HashMap<>();
    private long maxCommitted;

    Invariants(int clusterSize) {
        List<Long> all = new java.util.ArrayList<>();
        for (long id = 1; id <= clusterSize; id++) all.add(id);
        this.initial = Membership.ofVoters(all);
    }

    int elections() {
        return leaderOfTerm.size();
    }

    long commits() {
        return maxCommitted;
    }

    /** Election Safety, and Leader Completeness: a new leader holds every committed entry. */
    void onLeader(long node, long term, RaftCore core) {
        Long previous = leaderOfTerm.putIfAbsent(term, node);
        if (previous != null && previous != node) {
            throw new SafetyViolation("two leaders in term " + term + ": " + previous + " and " + node);
        }
        // Every committed entry this log should still hold must be there, with the same term.
        long snapshotIndex = core.snapshotMeta().index();
        if (snapshotIndex > maxCommitted) return;
        if (core.status().lastIndex() < maxCommitted) {
            throw new SafetyViolation("leader " + node + " of term " + term + " ends at " + core.status().lastIndex()
                    + " but entry " + maxCommitted + " is committed");
        }
        for (long i = snapshotIndex + 1; i <= maxCommitted; i++) {
            Entry committed = committedAt.get(i);
            if (committed != null && !committed.equals(core.entry(i))) {
                throw new SafetyViolation("leader " + node + " of term " + term + " holds " + core.entry(i)
                        + " where " + committed + " is committed");
            }
        }
    }

    /**
     * Log Matching: entries with the same index and term are identical and have identical
     * predecessors. {@code prevTerm} is the term of the entry before {@code e} in the log it was
     * written to (-1 if that log does not hold it).
     */
    void onPersist(long node, Entry e, long prevTerm) {
        EntryFacts facts = new EntryFacts(e, prevTerm);
        EntryFacts seen = entriesSeen.putIfAbsent(new EntryKey(e.index(), e.term()), facts);
        if (seen != null && !seen.equals(facts)) {
            throw new SafetyViolation("log matching broken at " + e.index() + "/" + e.term() + " on node "
                    + node + ": " + facts + " vs " + seen);
        }
    }

    /** Committed entries are never lost: no log ever deletes one (Raft never truncates them). */
    void onTruncate(long node, List<Entry> removed) {
        for (Entry e : removed) {
            if (e.equals(committedAt.get(e.index()))) {
                throw new SafetyViolation("node " + node + " deleted committed entry " + e.index() + "/" + e.term());
            }
        }
    }

    /** Every node that advances its commit index agrees on what it committed. */
    void onCommit(long node, Entry e) {
        Entry first = committedAt.putIfAbsent(e.index(), e);
        if (first != null && !first.equals(e)) {
            throw new SafetyViolation("node " + node + " committed " + e + " where " + first + " was committed");
        }
        if (first == null && e.type() == EntryType.CONFIG) onConfigCommitted(e.index(), MembershipCodec.decode(e.data()));
        maxCommitted = Math.max(maxCommitted, e.index());
    }

    /** State Machine Safety: a node applies only the entry committed at that index. */
    void onApply(long node, Entry e) {
        onCommit(node, e);
    }

    /**
     * A node wrote a snapshot of its state machine at {@code meta}: the entry there is the one
     * committed, and every snapshot of one index, on any node, holds the same state.
     */
    void onSnapshot(long node, SnapshotMeta meta, long digest) {
        Entry committed = committedAt.get(meta.index());
        if (committed == null || committed.term() != meta.term()) {
            throw new SafetyViolation("node " + node + " snapshot " + meta + " does not end at the committed " + committed);
        }
        Long first = snapshotAt.putIfAbsent(meta.index(), digest);
        if (first != null && first != digest) {
            throw new SafetyViolation("node " + node + " wrote a snapshot at " + meta.index()
                    + " that differs from another node's snapshot there");
        }
    }

    /** A snapshot that reached a node is one some node took, with the state taken at that index. */
    void onSnapshotReceived(long node, SnapshotMeta meta, long digest) {
        Long taken = snapshotAt.get(meta.index());
        if (taken == null) {
            throw new SafetyViolation("node " + node + " received snapshot " + meta + " that no node ever took");
        }
        if (taken != digest) {
            throw new SafetyViolation("node " + node + " received snapshot " + meta + " whose bytes differ from the snapshot taken there");
        }
        if (committedAt.get(meta.index()).term() != meta.term()) {
            throw new SafetyViolation("node " + node + " received snapshot " + meta + " but "
                    + committedAt.get(meta.index()) + " is committed there");
        }
    }

    /**
     * Two configurations in a row never form disjoint majorities: each committed configuration
     * differs from the one committed before it (and the one after it) by at most one voter.
     */
    private void onConfigCommitted(long index, Membership config) {
        committedConfigs.put(index, config);
        var before = committedConfigs.lowerEntry(index);
        var after = committedConfigs.higherEntry(index);
        checkOverlap(before == null ? initial : before.getValue(), config, index);
        if (after != null) checkOverlap(config, after.getValue(), after.getKey());
    }

    /** Majorities of {@code a} and {@code b} always share a voter: at most one voter added or removed. */
    static void checkOverlap(Membership a, Membership b, long index) {
        Set<Long> added = new TreeSet<>(b.voters());
        added.removeAll(a.voters());
        Set<Long> removed = new TreeSet<>(a.voters());
        removed.removeAll(b.voters());
        if (added.size() + removed.size() > 1) {
            throw new SafetyViolation("the configuration at entry " + index + " (voters " + b.voters() + ") follows voters "
                    + a.voters() + ": the two could form disjoint majorities");
        }
    }

    /** A leader appended a configuration at {@code index}: it is in force on that leader at once. */
    void onConfigProposed(long index, Membership config) {
        proposedConfigs.computeIfAbsent(index, i -> new java.util.ArrayList<>()).add(config);
    }

    /** The configuration in force at {@code index} of the committed log. */
    private Membership configAt(long index) {
        var at = committedConfigs.floorEntry(index);
        return at == null ? initial : at.getValue();
    }

    /**
     * Durability: the newest committed entry is on the disks of a majority of the voters of the
     * configuration it was committed in, crashed nodes included. A leader counts its commits by
     * the newest configuration in its log, so that is the one in force at the entry's index, or one
     * appended after it (at most one change is in flight, and each overlaps the one before).
     */
    void checkDurability(List<? extends Disk> disks) {
        if (maxCommitted == 0) return;
        long term = committedAt.get(maxCommitted).term();
        // Called after every step: no streams, and usually one configuration to look at.
        Set<Long> holders = new TreeSet<>();
        for (Disk d : disks) {
            if (d.snapshotIndex() >= maxCommitted || d.durableTerm(maxCommitted) == term) holders.add(d.nodeId());
        }
        if (heldByMajority(configAt(maxCommitted), holders)) return;
        List<Membership> candidates = new java.util.ArrayList<>();
        candidates.add(configAt(maxCommitted));
        proposedConfigs.tailMap(maxCommitted, false).values().forEach(candidates::addAll);
        for (Membership c : candidates) {
            if (heldByMajority(c, holders)) return;
        }
        throw new SafetyViolation("committed entry " + maxCommitted + "/" + term + " is on the disks of " + holders
                + " only, a majority of none of the configurations it may have been committed in " + candidates);
    }

    private static boolean heldByMajority(Membership c, Set<Long> holders) {
        int held = 0;
        for (long v : c.voters()) if (holders.contains(v)) held++;
        return held >= c.voters().size() / 2 + 1;
    }
}
