package raftkv.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.VoteRequest;
import raftkv.raft.Message.VoteResponse;

/**
 * One {@link RaftCore} with what a real node keeps around it: a disk (hard state, snapshot
 * point, stored entries) kept exactly as {@link Ready} prescribes, the list of messages sent and
 * not yet delivered, and what was applied, read and dropped.
 *
 * <p>Inputs ({@link #tick}, {@link #step}, {@link #propose}, ...) do not drain the core, so a test
 * can feed several before one {@link #ready()}. {@link #ready()} handles the Ready in the
 * contract's order (persist, send, apply, answer reads), checks the persistence contract
 * against the disk, and advances.
 */
final class TestNode {
    private final RaftConfig config;
    private final long seed;
    private final RaftCore core;

    // The disk. Invariant: stored is contiguous and starts right after snapshot.index().
    private HardState hardState;
    private SnapshotMeta snapshot;
    private Membership snapshotMembership;
    private final List<Entry> stored;

    private final List<Message> outbox = new ArrayList<>();
    private final List<Entry> applied = new ArrayList<>();
    // Invariant: every entry up to appliedIndex is in the state machine (through applied or a snapshot).
    private long appliedIndex;
    private final List<ReadState> readStates = new ArrayList<>();
    private final List<Long> droppedReads = new ArrayList<>();
    private final List<Ready> readies = new ArrayList<>();

    TestNode(RaftConfig config, HardState hardState, SnapshotMeta snapshot, List<Entry> entries, long seed) {
        this(config, hardState, snapshot, null, entries, seed);
    }

    TestNode(RaftConfig config, HardState hardState, SnapshotMeta snapshot, Membership snapshotMembership,
             List<Entry> entries, long seed) {
        this.config = config;
        this.snapshotMembership = snapshotMembership;
        this.seed = seed;
        this.hardState = hardState;
        this.snapshot = snapshot;
        this.stored = new ArrayList<>(entries);
        this.appliedIndex = snapshot.index();
        this.core = new RaftCore(config, hardState, snapshot, snapshotMembership, List.copyOf(entries), new SplittableRandom(seed));
    }

    /** A node that has never run, with election jitter seeded by its id. */
    static TestNode fresh(RaftConfig config) {
        return new TestNode(config, HardState.INITIAL, SnapshotMeta.NONE, List.of(), config.id());
    }

    /** A node restarted from a persisted hard state and log. */
    static TestNode restored(RaftConfig config, HardState hardState, List<Entry> entries) {
        return new TestNode(config, hardState, SnapshotMeta.NONE, entries, config.id());
    }

    /** The same node after a crash: a new core built from what this one's disk holds. */
    TestNode restart() {
        return new TestNode(config, hardState, snapshot, snapshotMembership, stored, seed + 1);
    }

    /** The same node after a crash that lost its log entries after {@code lastIndex}, which were never synced. */
    TestNode restartKeeping(long lastIndex) {
        List<Entry> kept = stored.stream().filter(e -> e.index() <= lastIndex).toList();
        return new TestNode(config, hardState, snapshot, snapshotMembership, kept, seed + 1);
    }

    // ---------------------------------------------------------------- inputs (no drain)

    TestNode tick() {
        core.tick();
        return this;
    }

    TestNode step(Message m) {
        core.step(m);
        return this;
    }

    MembershipResult changeMembership(MembershipChange change) {
        return core.changeMembership(change);
    }

    ProposeResult propose(String command) {
        return core.propose(Fixtures.data(command));
    }

    boolean readIndex(long requestId) {
        return core.readIndex(requestId);
    }

    TestNode transferLeadership(long target) {
        core.transferLeadership(target);
        return this;
    }

    /** Snapshots the state machine up to {@code index} (already applied) and compacts core and disk. */
    TestNode compact(long index) {
        long t = core.entry(index).term();
        core.compact(index);
        snapshotMembership = core.snapshotMembership();
        stored.removeIf(e -> e.index() <= index);
        snapshot = new SnapshotMeta(index, t);
        return this;
    }

    /** Ticks {@code n} times, handling the Ready after each tick as the node loop does. */
    TestNode elapse(int n) {
        for (int i = 0; i < n; i++) {
            core.tick();
            ready();
            // As NodeStep: a sync that let the leader commit its own entries (a cluster of one) is followed by their Ready.
            while (core.hasCommittedToApply()) ready();
        }
        return this;
    }

    // ---------------------------------------------------------------- output

    /** Handles one Ready: persist, check the contract, queue the messages, apply, answer reads, advance. */
    Ready ready() {
        Ready r = core.ready();
        if (r.snapshot() != null) {
            snapshot = r.snapshot();
            snapshotMembership = core.snapshotMembership();
            stored.clear();
            appliedIndex = snapshot.index();
        }
        if (r.hardState() != null) hardState = r.hardState();
        if (!r.entries().isEmpty()) {
            long first = r.entries().get(0).index();
            stored.removeIf(e -> e.index() >= first);
            if (first != diskLastIndex() + 1) {
                throw new AssertionError("node " + id() + ": Ready.entries start at " + first + " but the disk ends at " + diskLastIndex());
            }
            stored.addAll(r.entries());
        }
        checkPersistedBeforeSent(r);
        outbox.addAll(r.messages());
        for (Entry e : r.committedEntries()) {
            if (e.index() != appliedIndex + 1) {
                throw new AssertionError("node " + id() + ": applying " + e.index() + " after " + appliedIndex);
            }
            if (!onDisk(e)) throw new AssertionError("node " + id() + ": committed entry " + e + " is not on disk");
            applied.add(e);
            appliedIndex = e.index();
        }
        readStates.addAll(r.readStates());
        droppedReads.addAll(r.droppedReads());
        readies.add(r);
        core.advance(r);
        return r;
    }

    /**
     * The persistence contract: what a message depends on is durable once the Ready carrying it
     * has been persisted (Raft paper figure 2, "respond to RPCs after updating stable storage").
     */
    private void checkPersistedBeforeSent(Ready r) {
        for (Message m : r.messages()) {
            boolean preVoteTerm = (m instanceof VoteRequest q && q.preVote()) || (m instanceof VoteResponse p && p.preVote());
            if (!preVoteTerm && m.term() > hardState.term()) {
                throw new AssertionError("node " + id() + " sends " + m + " before persisting term " + m.term());
            }
            if (m instanceof VoteResponse v && v.granted() && !v.preVote()
                    && (hardState.term() != v.term() || hardState.votedFor() != v.to())) {
                throw new AssertionError("node " + id() + " grants " + v + " but persisted " + hardState);
            }
            if (m instanceof VoteRequest v && !v.preVote() && hardState.votedFor() != id()) {
                throw new AssertionError("node " + id() + " campaigns with " + v + " but persisted " + hardState);
            }
            if (m instanceof AppendRequest a) {
                for (Entry e : a.entries()) {
                    if (!onDisk(e)) throw new AssertionError("node " + id() + " sends " + e + " before persisting it");
                }
            }
            if (m instanceof AppendResponse a && a.success() && a.matchIndex() > diskLastIndex()) {
                throw new AssertionError("node " + id() + " acknowledges " + a.matchIndex() + " but its disk ends at " + diskLastIndex());
            }
        }
    }

    private boolean onDisk(Entry e) {
        if (e.index() <= snapshot.index()) return true;
        int off = (int) (e.index() - snapshot.index() - 1);
        return off < stored.size() && stored.get(off).equals(e);
    }

    private long diskLastIndex() {
        return snapshot.index() + stored.size();
    }

    /** Every message sent since the last call, oldest first; they are no longer pending. */
    List<Message> takeSent() {
        List<Message> out = List.copyOf(outbox);
        outbox.clear();
        return out;
    }

    /** The sent messages that {@code which} accepts, oldest first; the others stay pending. */
    List<Message> takeSent(Predicate<Message> which) {
        List<Message> out = outbox.stream().filter(which).toList();
        outbox.removeIf(which);
        return out;
    }

    /** Messages sent and not yet taken. */
    List<Message> sent() {
        return List.copyOf(outbox);
    }

    // ---------------------------------------------------------------- observation

    long id() {
        return config.id();
    }

    RaftConfig config() {
        return config;
    }

    RaftCore core() {
        return core;
    }

    Status status() {
        return core.status();
    }

    Role role() {
        return core.role();
    }

    long term() {
        return core.term();
    }

    long leader() {
        return core.leader();
    }

    long commit() {
        return core.status().commitIndex();
    }

    long lastIndex() {
        return core.status().lastIndex();
    }

    /** The terms of the in-memory log from its first index, for comparing logs. */
    List<Long> logTerms() {
        List<Long> out = new ArrayList<>();
        for (long i = core.status().firstIndex(); i <= core.status().lastIndex(); i++) out.add(core.entry(i).term());
        return out;
    }

    HardState diskHardState() {
        return hardState;
    }

    SnapshotMeta diskSnapshot() {
        return snapshot;
    }

    List<Entry> diskEntries() {
        return List.copyOf(stored);
    }

    List<Entry> applied() {
        return List.copyOf(applied);
    }

    List<ReadState> readStates() {
        return List.copyOf(readStates);
    }

    List<Long> droppedReads() {
        return List.copyOf(droppedReads);
    }

    Ready lastReady() {
        return readies.isEmpty() ? null : readies.get(readies.size() - 1);
    }

    @Override
    public String toString() {
        return "TestNode" + status();
    }
}
