package raftkv.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import raftkv.raft.Entry;
import raftkv.raft.EntryType;
import raftkv.raft.RaftConfig;
import raftkv.raft.RaftCore;

/**
 * One simulated node: a core (absent while crashed), its disk, its state machine, and the
 * client requests it has taken: proposals awaiting their entry and reads awaiting release.
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
        core = new RaftCore(config, disk.hardState, disk.snapshot, List.copyOf(disk.entries), random);
    }

    /** Loses everything that is not on disk. */
    void crash() {
        core = null;
        crashDuringNextReady = false;
        proposals.clear();
        reads.clear();
        releasedReads.clear();
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
