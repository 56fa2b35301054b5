package raftkv.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import raftkv.raft.Entry;
import raftkv.raft.EntryType;
import raftkv.raft.Message;
import raftkv.raft.RaftConfig;
import raftkv.raft.RaftCore;
import raftkv.raft.Ready;
import raftkv.raft.SnapshotMeta;
import raftkv.raft.StepResult;

/**
 * One simulated node: a core (absent while crashed), its disk, its state machine, the
 * client requests it has taken (proposals awaiting their entry and reads awaiting release)
 * and the snapshot states that arrived with the requests it is stepping.
 */
final class SimNode {
    record PendingRead(long requestId, long ackedAtStart) {}

    record ReleasedRead(long requestId, long index, long ackedAtStart) {}

    final long id;
    final RaftConfig config;
    final SimDisk disk = new SimDisk();
    // Ticks per time unit: nodes tick at different rates, as clocks drift.
    final double rate;
    double clock;

    RaftCore core;
    Register state = Register.EMPTY;
    long applied;
    // Commit indexes up to here have been checked against every other node's.
    long commitChecked;
    // Set by the nemesis: the next Ready is cut short by a crash.
    boolean crashDuringNextReady;
    // Times the core was started: above 1, the node has crashed and restarted from its disk.
    int starts;

    // The states streamed with the snapshot requests stepped since the last Ready was handled:
    // a Ready that installs a snapshot restores the one that came with it. Only looked up, never iterated.
    final Map<SnapshotMeta, Register> receivedSnapshots = new HashMap<>();

    // Proposals this node accepted, by log index: the term they were appended in.
    final Map<Long, Long> proposals = new HashMap<>();
    final Map<Long, PendingRead> reads = new HashMap<>();
    final List<ReleasedRead> releasedReads = new ArrayList<>();

    SimNode(long id, RaftConfig config, double rate) {
        this.id = id;
        this.config = config;
        this.rate = rate;
    }

    boolean alive() {
        return core != null;
    }

    /** Starts (or restarts) the core from exactly what the disk holds. */
    void start(SplittableRandom random) {
        state = disk.snapshotState;
        applied = disk.snapshot.index();
        commitChecked = applied;
        starts++;
        core = new RaftCore(config, disk.hardState, disk.snapshot, List.copyOf(disk.entries), random);
    }

    /** Loses everything that is not on disk. */
    void crash() {
        core = null;
        crashDuringNextReady = false;
        proposals.clear();
        reads.clear();
        releasedReads.clear();
        receivedSnapshots.clear();
    }

    /**
     * Snapshots the state machine at the applied index A, which deletes the disk's log up to A,
     * and compacts the core only to A - {@code retainEntries} (never back past its own snapshot
     * point), keeping entries for followers a little behind. The core's snapshot point is thus at
     * or before the newest snapshot on disk.
     */
    void takeSnapshot(int retainEntries, Invariants invariants) {
        SnapshotMeta meta = new SnapshotMeta(applied, core.entry(applied).term());
        invariants.onSnapshot(this, meta, state);
        disk.saveSnapshot(meta, state);
        core.compact(Math.max(meta.index() - retainEntries, core.snapshotMeta().index()));
    }

    /**
     * A message as this node puts it on the wire. A snapshot request names the newest snapshot
     * on disk instead of the core's (older or equal) snapshot point, and carries a copy of its
     * state: the follower gets the freshest state there is, and the leader's core learns the
     * higher match from the response.
     */
    SimNetwork.Packet packet(Message m) {
        if (!(m instanceof Message.SnapshotRequest s)) return new SimNetwork.Packet(m, null);
        SnapshotMeta newest = disk.snapshot;
        if (newest.index() < s.snapshot().index()) {
            throw new SafetyViolation("node " + id + " core sends snapshot " + s.snapshot()
                    + " but the newest on its disk is " + newest);
        }
        return new SimNetwork.Packet(new Message.SnapshotRequest(s.from(), s.to(), s.term(), newest),
                new Register(disk.snapshotState.lastWriteIndex()));
    }

    /** Steps a delivered message into the core, keeping the state a snapshot request streamed with it. */
    void receive(SimNetwork.Packet p, Invariants invariants) {
        if (p.message() instanceof Message.SnapshotRequest s) {
            invariants.onSnapshotReceived(this, s.snapshot(), p.snapshotState());
            receivedSnapshots.put(s.snapshot(), p.snapshotState());
        }
        if (core.step(p.message()) instanceof StepResult.Refused r) {
            // Every simulated peer is correct: a refusal means the core's rules reject real Raft traffic.
            throw new SafetyViolation("node " + id + " refused " + p.message() + ": " + r.reason());
        }
    }

    static int writeCount(Ready r) {
        return (r.snapshot() != null ? 1 : 0) + (r.hardState() != null ? 1 : 0) + r.entries().size();
    }

    /**
     * Writes the first {@code count} of the Ready's writes, in the order {@link Ready} prescribes:
     * a crash keeps such a prefix. Returns true if that includes a snapshot to install, which
     * restores the state that came with the request: one atomic write of the snapshot, after
     * which the log restarts, so a restart finds either the old disk or the snapshot and an empty log.
     */
    boolean persistPrefix(Ready r, int count, Invariants invariants) {
        int written = 0;
        boolean installed = false;
        if (r.hardState() != null && written++ < count) disk.saveHardState(r.hardState());
        if (r.snapshot() != null && written++ < count) {
            Register received = receivedSnapshots.get(r.snapshot());
            if (received == null) {
                throw new SafetyViolation("node " + id + " installs snapshot " + r.snapshot() + " that it did not receive");
            }
            disk.saveSnapshot(r.snapshot(), received);
            disk.dropLog();
            state = received;
            applied = r.snapshot().index();
            installed = true;
        }
        for (Entry e : r.entries()) {
            if (written++ >= count) break;
            invariants.onTruncate(this, disk.append(e));
        }
        return installed;
    }

    /** Applies one committed entry to the register; returns true if it completes a proposal of this node. */
    boolean apply(Entry e) {
        if (e.index() != applied + 1) {
            throw new SafetyViolation("node " + id + " applies " + e.index() + " after " + applied);
        }
        applied = e.index();
        if (e.type() == EntryType.NORMAL) state = new Register(e.index());
        Long proposedTerm = proposals.remove(e.index());
        return proposedTerm != null && proposedTerm == e.term();
    }
}
