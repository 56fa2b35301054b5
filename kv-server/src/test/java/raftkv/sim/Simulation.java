package raftkv.sim;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import raftkv.raft.Entry;
import raftkv.raft.Message;
import raftkv.raft.ProposeResult;
import raftkv.raft.RaftConfig;
import raftkv.raft.Ready;
import raftkv.raft.Role;

/**
 * A deterministic simulation of a Raft cluster: one {@link SplittableRandom} seeded from
 * {@code seed} drives the network, the disks, the workload, the faults and every node's
 * election jitter, so a seed replays exactly.
 *
 * <p>A safety phase runs the cluster under faults (loss, delay and reordering, duplication,
 * symmetric and one-way partitions, crashes, crashes in the middle of a write, restarts,
 * snapshots, leadership transfers) while clients write and read, and checks Raft's
 * invariants after every event. Snapshots work as in the real node: a node snapshots at its
 * applied index and deletes its disk's log up to there, but its core keeps some entries; a
 * follower too far behind is sent the newest snapshot on the leader's disk, whose state travels
 * with the request and is what the follower installs. A liveness phase then heals everything and requires a leader
 * and a newly acknowledged write within a bounded number of ticks.
 */
public final class Simulation {
    /** Time units per tick: message delays are a fraction of a tick. */
    static final int UNITS_PER_TICK = 10;
    static final int ELECTION_TICKS = 10;
    static final int HEARTBEAT_TICKS = 1;

    /**
     * The outcome of one run; {@code failure} is null when every check held. {@code snapshotsSent}
     * counts the snapshot requests nodes sent, {@code installs} the snapshots followers wrote, of
     * which {@code installsAfterRestart} on a node that had crashed and restarted.
     */
    public record Result(long seed, int nodes, int elections, long messages, long commits, long acks,
                         long reads, long snapshotsSent, long installs, long installsAfterRestart, String failure) {
        public boolean passed() {
            return failure == null;
        }
    }

    private final long seed;
    private final int clusterSize;
    private final int safetyTicks;
    private final int livenessTicks;
    private final SplittableRandom random;
    private final SimNetwork network;
    private final List<SimNode> nodes = new ArrayList<>();
    private final Invariants invariants;

    // Per-run fault rates, drawn from the seed so that runs differ in character.
    private final double crashRate;
    private final double partitionRate;
    private final double compactRate;
    // A node that snapshots at its applied index A compacts its core only to A - retainEntries, so
    // that followers a little behind catch up by AppendEntries rather than by snapshot.
    private final int retainEntries;
    // One run in four has a laggard: this node is cut off over [lagFrom, lagUntil) (crashed, or
    // isolated while it runs on) while the others compact often, so it comes back behind every
    // leader's log and needs a snapshot. 0 in the other runs.
    private final long laggard;
    private final boolean laggardCrashes;
    private final long lagFrom;
    private final long lagUntil;
    private final double transferRate;
    // Some runs crash every new leader with this probability per tick of its first election timeout.
    private final double leaderKillRate;
    private final double writeRate;
    private final double readRate;

    private long now;
    private long nextRequestId = 1;
    private long snapshotsSent;
    private long installs;
    private long installsAfterRestart;

    public Simulation(long seed, int clusterSize, int safetyTicks, int livenessTicks) {
        this.seed = seed;
        this.clusterSize = clusterSize;
        this.safetyTicks = safetyTicks;
        this.livenessTicks = livenessTicks;
        this.random = new SplittableRandom(seed);
        this.network = new SimNetwork(random.split());
        this.invariants = new Invariants(clusterSize);
        network.lossRate = random.nextDouble() * 0.2;
        network.duplicateRate = random.nextDouble() * 0.1;
        network.maxDelay = 1 + random.nextInt(3 * UNITS_PER_TICK);
        crashRate = random.nextDouble() * 0.002;
        partitionRate = random.nextDouble() * 0.002;
        transferRate = random.nextDouble() * 0.0005;
        // One run in eight sends one entry per AppendEntries: an old leader's entries then reach
        // followers without the new leader's no-op behind them, the setting of the paper's figure 8.
        // Fewer writes keep the backlog such a run can replicate within the liveness bound.
        boolean oneEntryPerAppend = random.nextInt(8) == 0;
        leaderKillRate = oneEntryPerAppend || random.nextInt(4) == 0 ? random.nextDouble() * 0.01 : 0;
        writeRate = oneEntryPerAppend ? 0.002 + random.nextDouble() * 0.01 : 0.02 + random.nextDouble() * 0.2;
        readRate = 0.02 + random.nextDouble() * 0.1;
        // A quarter of the runs keep no entries behind a snapshot: then any lag needs one.
        retainEntries = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(48);
        if (random.nextInt(4) == 0) {
            long quarter = Math.max(1, (long) safetyTicks * UNITS_PER_TICK / 4);
            laggard = 1 + random.nextInt(clusterSize);
            laggardCrashes = random.nextBoolean();
            lagFrom = quarter / 2 + random.nextLong(quarter);
            lagUntil = lagFrom + quarter + random.nextLong(quarter);
            compactRate = 0.005 + random.nextDouble() * 0.01;
        } else {
            laggard = 0;
            laggardCrashes = false;
            lagFrom = 0;
            lagUntil = 0;
            compactRate = random.nextDouble() * 0.002;
        }

        List<Long> ids = new ArrayList<>();
        for (long i = 1; i <= clusterSize; i++) ids.add(i);
        for (long id : ids) {
            // Small batch and pipeline limits exercise their edges; they still let a follower catch
            // up on a backlog of a thousand entries within the liveness bound.
            RaftConfig config = new RaftConfig(id, ids, ELECTION_TICKS, HEARTBEAT_TICKS, true, true,
                    oneEntryPerAppend ? 1 : 8 + random.nextInt(57), 1 << 16, 1 + random.nextInt(16));
            // Clocks drift: each node ticks at its own rate, up to 20% off.
            SimNode node = new SimNode(id, config, (0.8 + random.nextDouble() * 0.4) / UNITS_PER_TICK);
            node.start(random.split());
            nodes.add(node);
        }
    }

    public Result run() {
        String failure = null;
        try {
            long safetyEnd = (long) safetyTicks * UNITS_PER_TICK;
            while (now < safetyEnd) {
                nemesis();
                step();
            }
            heal();
            failure = awaitProgress();
        } catch (SafetyViolation v) {
            failure = "t=" + now / UNITS_PER_TICK + ": " + v.getMessage();
        } catch (RuntimeException e) {
            // The core threw on an invariant of its own: that is a failure with this seed too.
            failure = "t=" + now / UNITS_PER_TICK + ": core threw " + e;
        }
        return new Result(seed, clusterSize, invariants.elections(), network.delivered, invariants.commits(),
                invariants.acks, invariants.readsServed, snapshotsSent, installs, installsAfterRestart, failure);
    }

    // ---------------------------------------------------------------- one unit of time

    private void step() {
        for (SimNode n : nodes) {
            if (!n.alive()) continue;
            n.clock += n.rate;
            while (n.clock >= 1 && n.alive()) {
                n.clock -= 1;
                n.core.tick();
                handleReady(n);
            }
        }
        workload();
        for (SimNetwork.Packet p : network.due(now)) {
            Message m = p.message();
            SimNode to = node(m.to());
            if (!to.alive()) continue;
            network.delivered++;
            to.receive(p, invariants);
            handleReady(to);
        }
        invariants.checkDurability(nodes);
        now++;
    }

    /**
     * Does what the node does with a Ready: persist, then send, then apply and answer reads.
     * A crash ordered by the nemesis cuts it short after a random prefix of the writes.
     */
    private void handleReady(SimNode n) {
        Ready r = n.core.ready();
        if (n.crashDuringNextReady && r.mustSync()) {
            // As NodeStep: a leader's AppendEntries left before its sync, which the crash cuts short.
            for (Message m : r.messages()) if (r.sendableBeforeSync(m)) network.send(now, n.packet(m));
            countInstall(n, n.persistPrefix(r, random.nextInt(SimNode.writeCount(r) + 1), invariants));
            n.crash();
            return;
        }
        countInstall(n, n.persistPrefix(r, SimNode.writeCount(r), invariants));
        invariants.onPersist(n, r.entries());
        if (r.softState() != null && r.softState().role() == Role.LEADER) {
            invariants.onLeader(n, r.softState().term());
        }
        checkNewlyCommitted(n);
        for (Message m : r.messages()) {
            SimNetwork.Packet p = n.packet(m);
            if (p.snapshotState() != null) snapshotsSent++;
            network.send(now, p);
        }
        for (Entry e : r.committedEntries()) {
            invariants.onApply(n, e);
            if (n.apply(e)) invariants.onAck(e.index());
        }
        for (var rs : r.readStates()) {
            SimNode.PendingRead p = n.reads.remove(rs.requestId());
            if (p != null) n.releasedReads.add(new SimNode.ReleasedRead(p.requestId(), rs.index(), p.ackedAtStart()));
        }
        for (long id : r.droppedReads()) n.reads.remove(id);
        serveReleasedReads(n);
        n.core.advance(r);
        n.receivedSnapshots.clear();
        if (n.core.hasCommittedToApply()) handleReady(n); // the leader's sync committed its own entries
    }

    /** Records the entries this node has newly learned are committed, before anything acts on them. */
    private void checkNewlyCommitted(SimNode n) {
        long commit = n.core.status().commitIndex();
        long from = Math.max(n.commitChecked, n.core.snapshotMeta().index()) + 1;
        for (long i = from; i <= commit; i++) invariants.onCommit(n, n.core.entry(i));
        n.commitChecked = Math.max(n.commitChecked, commit);
    }

    private void countInstall(SimNode n, boolean installed) {
        if (!installed) return;
        installs++;
        if (n.starts > 1) installsAfterRestart++;
    }

    private void serveReleasedReads(SimNode n) {
        Iterator<SimNode.ReleasedRead> it = n.releasedReads.iterator();
        while (it.hasNext()) {
            SimNode.ReleasedRead read = it.next();
            if (n.applied >= read.index()) {
                invariants.onRead(n, read);
                it.remove();
            }
        }
    }

    // ---------------------------------------------------------------- clients

    private void workload() {
        if (random.nextDouble() < writeRate) {
            SimNode n = pickClientTarget();
            if (n != null) propose(n);
        }
        if (random.nextDouble() < readRate) {
            SimNode n = pickClientTarget();
            if (n != null) {
                long id = nextRequestId++;
                if (n.core.readIndex(id)) {
                    n.reads.put(id, new SimNode.PendingRead(id, invariants.ackedMax));
                    handleReady(n);
                }
            }
        }
    }

    private boolean propose(SimNode n) {
        ByteString data = ByteString.copyFromUtf8("w" + nextRequestId++);
        if (n.core.propose(data) instanceof ProposeResult.Accepted a) {
            n.proposals.put(a.index(), a.term());
            handleReady(n);
            return true;
        }
        return false;
    }

    /** Clients mostly find the leader, and sometimes ask any node. */
    private SimNode pickClientTarget() {
        List<SimNode> alive = nodes.stream().filter(SimNode::alive).toList();
        if (alive.isEmpty()) return null;
        if (random.nextDouble() < 0.8) {
            for (SimNode n : alive) {
                if (n.core.role() == Role.LEADER) return n;
            }
        }
        return alive.get(random.nextInt(alive.size()));
    }

    // ---------------------------------------------------------------- faults

    private void nemesis() {
        if (laggard != 0 && (now == lagFrom || now == lagUntil)) cutOffLaggard(now == lagFrom);
        if (random.nextDouble() < crashRate) {
            SimNode n = nodes.get(random.nextInt(nodes.size()));
            // The laggard stays as it was cut off until its stretch ends.
            if (n.id != laggard || now < lagFrom || now >= lagUntil) {
                if (n.alive()) {
                    if (random.nextBoolean()) n.crashDuringNextReady = true;
                    else n.crash();
                } else {
                    n.start(random.split());
                }
            }
        }
        if (leaderKillRate > 0 && random.nextDouble() < leaderKillRate) {
            // Leaders die young: elections pile up over logs that differ in their last terms.
            for (SimNode n : nodes) {
                if (n.alive() && n.core.role() == Role.LEADER) {
                    if (random.nextBoolean()) n.crashDuringNextReady = true;
                    else n.crash();
                }
            }
        }
        if (random.nextDouble() < partitionRate) {
            if (network.partitioned()) network.healAll();
            else partition();
        }
        if (random.nextDouble() < compactRate) {
            SimNode n = nodes.get(random.nextInt(nodes.size()));
            if (n.alive() && n.applied > n.disk.snapshot.index()) n.takeSnapshot(retainEntries, invariants);
        }
        if (random.nextDouble() < transferRate) {
            for (SimNode n : nodes) {
                if (n.alive() && n.core.role() == Role.LEADER) {
                    n.core.transferLeadership(1 + random.nextInt(clusterSize));
                    handleReady(n);
                    break;
                }
            }
        }
    }

    private void cutOffLaggard(boolean cut) {
        SimNode n = node(laggard);
        if (cut) {
            if (laggardCrashes) n.crash();
            else network.isolate(n.id);
        } else {
            network.rejoin(n.id);
            if (!n.alive()) n.start(random.split());
        }
    }

    private void partition() {
        switch (random.nextInt(3)) {
            case 0 -> { // symmetric: two sides that cannot talk
                List<Long> side = new ArrayList<>();
                for (SimNode n : nodes) if (random.nextBoolean()) side.add(n.id);
                for (SimNode a : nodes) {
                    for (SimNode b : nodes) {
                        if (side.contains(a.id) != side.contains(b.id)) network.block(a.id, b.id);
                    }
                }
            }
            case 1 -> { // one-way links
                for (SimNode a : nodes) {
                    for (SimNode b : nodes) {
                        if (a != b && random.nextDouble() < 0.3) network.block(a.id, b.id);
                    }
                }
            }
            default -> { // the leader (or a random node) can send but not receive
                SimNode victim = nodes.stream().filter(n -> n.alive() && n.core.role() == Role.LEADER).findFirst()
                        .orElse(nodes.get(random.nextInt(nodes.size())));
                for (SimNode b : nodes) if (b != victim) network.block(b.id, victim.id);
            }
        }
    }

    // ---------------------------------------------------------------- liveness

    private void heal() {
        network.healAll();
        if (laggard != 0) network.rejoin(laggard);
        network.lossRate = 0;
        network.duplicateRate = 0;
        network.maxDelay = Math.min(network.maxDelay, UNITS_PER_TICK / 2);
        for (SimNode n : nodes) {
            n.crashDuringNextReady = false;
            if (!n.alive()) n.start(random.split());
        }
    }

    /**
     * After healing, a leader must emerge and acknowledge a new write within the bound. The
     * client writes once and tries again only when the leader changes or a write seems lost.
     */
    private String awaitProgress() {
        long deadline = now + (long) livenessTicks * UNITS_PER_TICK;
        long ackedBefore = invariants.acks;
        long triedWith = -1;
        long lastTry = 0;
        while (now < deadline) {
            if (invariants.acks > ackedBefore) return null;
            for (SimNode n : nodes) {
                boolean retry = n.id != triedWith || now - lastTry >= 5L * ELECTION_TICKS * UNITS_PER_TICK;
                if (n.core.role() == Role.LEADER && retry && propose(n)) {
                    triedWith = n.id;
                    lastTry = now;
                    break;
                }
            }
            step();
        }
        return "no leader acknowledged a write within " + livenessTicks + " ticks of healing; roles: " + roles();
    }

    private String roles() {
        StringBuilder sb = new StringBuilder();
        for (SimNode n : nodes) {
            var s = n.core.status();
            sb.append(n.id).append('=').append(s.role()).append("/t").append(s.term())
                    .append("/c").append(s.commitIndex()).append("/l").append(s.lastIndex()).append(' ');
        }
        return sb.toString().trim();
    }

    private SimNode node(long id) {
        return nodes.get((int) id - 1);
    }
}
