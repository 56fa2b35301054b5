package raftkv.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import raftkv.config.ClusterConfig;
import raftkv.config.Limits;
import raftkv.config.ServerSpec;
import raftkv.kv.KvLimits;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;
import raftkv.raft.Entry;
import raftkv.raft.Membership;
import raftkv.raft.MembershipChange;
import raftkv.raft.MembershipResult;
import raftkv.raft.Message;
import raftkv.raft.RaftConfig;
import raftkv.raft.Ready;
import raftkv.raft.Role;
import raftkv.transport.SnapshotSource;

/**
 * A deterministic simulation of a whole raftkv cluster: one {@link SplittableRandom} seeded from
 * {@code seed} drives the network, the clients, the faults, every node's election jitter and the
 * timing of its snapshot writes, so a seed replays exactly.
 *
 * <p>Each node is the production node step with its state machine, pending requests, snapshot
 * keeper and key-value service ({@link SimNode}); only the disk (an in-memory log that survives
 * a crash as a disk does), the network and time are simulated. Clients ({@link SimClients}) send
 * set, get, cas and delete through any node's service, which validates, forwards to the leader
 * over the simulated network and retries as it does in production; their history is checked for
 * linearizability after the run. A safety phase runs the cluster under faults (loss, delay and
 * reordering, duplication, symmetric and one-way partitions, crashes, crashes in the middle of a
 * write, graceful stops, restarts, leadership transfers, a laggard that needs a snapshot) and
 * checks Raft's invariants after every event; a liveness phase then heals everything and requires
 * a write to be acknowledged within a bounded number of ticks.
 */
public final class Simulation {
    /** Time units per tick: message delays are a fraction of a tick. */
    static final int UNITS_PER_TICK = 10;
    static final int ELECTION_TICKS = 10;
    static final int HEARTBEAT_TICKS = 1;
    /** A node's tick, on its own clock; a unit is a tenth of it. */
    static final long NANOS_PER_TICK = 50_000_000L;
    static final long NANOS_PER_UNIT = NANOS_PER_TICK / UNITS_PER_TICK;

    /**
     * The outcome of one run; {@code failure} is null when every check held. {@code acks} counts
     * the writes acknowledged to clients, {@code reads} the reads answered, {@code readsToFollowers}
     * the reads clients sent to a node that did not lead, {@code followerReads} the reads followers
     * answered from their own state machines (after a ReadIndex from the leader), {@code snapshotsSent}
     * the snapshot transfers, {@code installs} the snapshots followers installed, of which
     * {@code installsAfterRestart} on a node that had crashed or stopped and restarted;
     * {@code stops} counts graceful stops (SIGTERM), {@code membershipChanges} the membership
     * changes leaders accepted.
     */
    public record Result(long seed, int nodes, int elections, long messages, long commits, long acks,
                         long reads, long readsToFollowers, long followerReads, long snapshotsSent, long installs, long installsAfterRestart, long stops,
                         long membershipChanges, String failure) {
        public boolean passed() {
            return failure == null;
        }
    }

    private record Task(long at, long seq, SimNode node, int incarnation, Runnable action) {}

    /** A snapshot on the wire: the request, naming the file's snapshot, and the file's bytes. */
    private record SnapshotTransfer(Message.SnapshotRequest request, byte[] bytes) {}

    /** A client command a node forwards to the leader, and the answer. */
    private record ForwardCall(long callId, KvRequest request) {}

    private record ForwardReply(long callId, KvResult result) {}

    private record Forward(SimNode from, int incarnation, CompletableFuture<KvResult> result) {}

    private final long seed;
    private final int clusterSize;
    private final int safetyTicks;
    private final int livenessTicks;
    private final SplittableRandom random;
    private final SimNetwork network;
    // The initial members, 1 to clusterSize, then SPARES machines that membership changes may add.
    private final List<SimNode> nodes = new ArrayList<>();
    private static final int SPARES = 3;
    private final Invariants invariants;
    private final SimClients clients;
    private final Path dataDir;
    private final ClusterConfig config;
    private final PriorityQueue<Task> tasks = new PriorityQueue<>(Comparator.comparingLong(Task::at).thenComparingLong(Task::seq));
    private final Map<Long, Forward> forwards = new HashMap<>();
    // Nodes stopped gracefully, and when they start again.
    private final Map<SimNode, Long> restartAt = new HashMap<>();
    private long nextTaskSeq;
    private long nextCallId = 1;

    // Per-run fault rates, drawn from the seed so that runs differ in character.
    private final double crashRate;
    private final double stopRate;
    private final double partitionRate;
    // One run in four has a laggard: this node is cut off over [lagFrom, lagUntil) (crashed, or
    // isolated while it runs on) while the others snapshot often, so it comes back behind every
    // leader's log and needs a snapshot. 0 in the other runs.
    private final long laggard;
    private final boolean laggardCrashes;
    private final long lagFrom;
    private final long lagUntil;
    private final double transferRate;
    // Some runs change the membership at random: learners, adds, promotions, removals (the leader's too).
    private final double membershipRate;
    // Some runs crash every new leader with this probability per unit.
    private final double leaderKillRate;

    private long now;
    private long snapshotsSent;
    private long installs;
    private long installsAfterRestart;
    private long stops;
    private long membershipChanges;
    private String clientFailure;

    public Simulation(long seed, int clusterSize, int safetyTicks, int livenessTicks) {
        this(seed, clusterSize, safetyTicks, livenessTicks, false);
    }

    /**
     * @param alwaysChangeMembership change the membership in every run ({@code scripts/sim
     *                               --membership}), not in half of them
     */
    public Simulation(long seed, int clusterSize, int safetyTicks, int livenessTicks, boolean alwaysChangeMembership) {
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
        stopRate = random.nextDouble() * 0.0005;
        partitionRate = random.nextDouble() * 0.002;
        transferRate = random.nextDouble() * 0.0005;
        if (alwaysChangeMembership) membershipRate = 0.001 + random.nextDouble() * 0.002;
        else membershipRate = random.nextInt(2) == 0 ? random.nextDouble() * 0.002 : 0;
        // One run in eight sends one entry per AppendEntries: an old leader's entries then reach
        // followers without the new leader's no-op behind them, the setting of the paper's figure 8.
        boolean oneEntryPerAppend = random.nextInt(8) == 0;
        leaderKillRate = oneEntryPerAppend || random.nextInt(4) == 0 ? random.nextDouble() * 0.01 : 0;
        int snapshotEntries;
        if (random.nextInt(4) == 0) {
            long quarter = Math.max(1, (long) safetyTicks * UNITS_PER_TICK / 4);
            laggard = 1 + random.nextInt(clusterSize);
            laggardCrashes = random.nextBoolean();
            lagFrom = quarter / 2 + random.nextLong(quarter);
            lagUntil = lagFrom + quarter + random.nextLong(quarter);
            snapshotEntries = 5 + random.nextInt(30);
        } else {
            laggard = 0;
            laggardCrashes = false;
            lagFrom = 0;
            lagUntil = 0;
            snapshotEntries = 20 + random.nextInt(300);
        }
        try {
            dataDir = Files.createTempDirectory("raftkv-sim-" + seed + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<ServerSpec> servers = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        for (int i = 1; i <= clusterSize + SPARES; i++) {
            servers.add(new ServerSpec(i, "127.0.0.1", 9000 + i, 9100 + i, ServerSpec.NO_HTTP, null, null));
            if (i <= clusterSize) ids.add((long) i);
        }
        ClusterConfig base = ClusterConfig.withDefaults(dataDir, servers);
        config = new ClusterConfig(dataDir, servers, base.heartbeatMs(), base.electionTimeoutMs(),
                3_000, 1 << 10, false, snapshotEntries, ClusterConfig.MIN_WAL_SEGMENT_BYTES, true, false, null,
                Limits.DEFAULTS, List.of(), null);
        int processes = 2 + random.nextInt(5);
        // The session table holds every client: one evicted from it would lose at-most-once for its
        // retries (README: maxSessions), which the history check would rightly report.
        KvLimits limits = new KvLimits(Limits.DEFAULTS.quotaBytes(), processes + 1 + random.nextInt(4));
        for (long id = 1; id <= clusterSize; id++) {
            // Small batch and pipeline limits exercise their edges.
            RaftConfig raft = new RaftConfig(id, ids, ELECTION_TICKS, HEARTBEAT_TICKS, true, true,
                    oneEntryPerAppend ? 1 : 8 + random.nextInt(57), 1 << 16, 1 + random.nextInt(16));
            // Clocks drift: each node's runs at its own rate, up to 20% off, its wall clock up to a minute off.
            SimNode node = new SimNode(id, this, raft, config, limits, dataDir.resolve("node-" + id),
                    0.8 + random.nextDouble() * 0.4, random.nextLong(-60_000, 60_000));
            node.start(random.split(), invariants);
            nodes.add(node);
        }
        // The spares draw from a generator of their own, so that a run that never adds one unfolds
        // exactly as it did before spares existed.
        SplittableRandom spareRandom = new SplittableRandom(seed ^ 0x5BA7E5L);
        for (long id = clusterSize + 1; id <= clusterSize + SPARES; id++) {
            RaftConfig raft = new RaftConfig(id, ids, ELECTION_TICKS, HEARTBEAT_TICKS, true, true,
                    oneEntryPerAppend ? 1 : 8 + spareRandom.nextInt(57), 1 << 16, 1 + spareRandom.nextInt(16));
            SimNode node = new SimNode(id, this, raft, config, limits, dataDir.resolve("node-" + id),
                    0.8 + spareRandom.nextDouble() * 0.4, spareRandom.nextLong(-60_000, 60_000));
            node.joinsLater(); // started when a membership change adds it
            nodes.add(node);
        }
        clients = new SimClients(random.split(), nodes, processes, () -> now, this::clientFailed);
    }

    public Result run() {
        String failure = null;
        try {
            long safetyEnd = (long) safetyTicks * UNITS_PER_TICK;
            while (now < safetyEnd && clientFailure == null) {
                nemesis();
                step(true);
            }
            if (clientFailure == null) {
                heal();
                failure = awaitProgress();
            }
            if (failure == null && clientFailure == null) failure = clients.checkHistory();
        } catch (SafetyViolation v) {
            failure = "t=" + now / UNITS_PER_TICK + ": " + v.getMessage();
        } catch (RuntimeException | AssertionError e) {
            // The node threw on an invariant of its own: that is a failure with this seed too.
            failure = "t=" + now / UNITS_PER_TICK + ": node threw " + e;
        } finally {
            deleteDataDir();
        }
        if (failure == null && clientFailure != null) failure = clientFailure;
        return new Result(seed, clusterSize, invariants.elections(), network.delivered, invariants.commits(),
                clients.acks, clients.reads, clients.readsToFollowers, nodes.stream().mapToLong(SimNode::followerReadsServed).sum(),
                snapshotsSent, installs, installsAfterRestart, stops, membershipChanges, failure);
    }

    // ---------------------------------------------------------------- one unit of time

    private void step(boolean clientsActive) {
        for (SimNode n : nodes) {
            n.advanceClock();
            Long restart = restartAt.get(n);
            if (restart != null && restart <= now) {
                restartAt.remove(n);
                if (!n.alive()) n.start(random.split(), invariants);
            }
        }
        while (!tasks.isEmpty() && tasks.peek().at() <= now) {
            Task t = tasks.poll();
            if (t.node().incarnation() == t.incarnation() && t.node().alive()) t.action().run();
        }
        if (clientsActive) clients.act();
        for (SimNetwork.Packet p : network.due(now)) deliver(p);
        for (SimNode n : nodes) {
            if (!n.alive()) continue;
            try {
                n.runBatch();
            } catch (SimStorage.Crash crash) {
                crash(n);
                continue;
            }
            if (!n.alive()) continue;
            checkNewlyCommitted(n);
            if (n.stopping != null && n.stopping.isDone()) {
                clients.nodeDown(n);
                n.exit();
                // Its operator starts it again a little later, as a rolling restart does.
                restartAt.put(n, now + (1 + random.nextInt(10)) * (long) ELECTION_TICKS * UNITS_PER_TICK);
            }
        }
        invariants.checkDurability(nodes);
        now++;
    }

    /** Runs {@code action} {@code units} from now, unless {@code node} has crashed or restarted by then. */
    void later(SimNode node, int incarnation, long units, Runnable action) {
        tasks.add(new Task(now + Math.max(1, units), nextTaskSeq++, node, incarnation, action));
    }

    /** The checks on each Ready a node step is about to handle. */
    void onReady(SimNode n, Ready r) {
        if (r.softState() != null && r.softState().role() == Role.LEADER) invariants.onLeader(n.id, r.softState().term(), n.core);
        if (r.snapshot() != null) {
            installs++;
            if (n.starts > 1) installsAfterRestart++;
            n.installed(r.snapshot());
        }
        for (Entry e : r.committedEntries()) invariants.onApply(n.id, e);
    }

    /** Records the entries this node has newly learned are committed, before anything acts on them. */
    private void checkNewlyCommitted(SimNode n) {
        long commit = n.core.status().commitIndex();
        long from = Math.max(n.commitChecked, n.core.snapshotMeta().index()) + 1;
        for (long i = from; i <= commit; i++) invariants.onCommit(n.id, n.core.entry(i));
        n.commitChecked = Math.max(n.commitChecked, commit);
    }

    /** Crashes {@code n} now, or at its next sync (in the middle of a write), at random. */
    private void crashNowOrMidWrite(SimNode n) {
        if (random.nextBoolean()) n.storage.crashAtNextSync = true;
        else crash(n);
    }

    /** Crashes {@code n}: the disk keeps what was synced and a random prefix of the writes after that. */
    private void crash(SimNode n) {
        clients.nodeDown(n);
        n.crash(random.nextInt(n.unsyncedWrites() + 1));
    }

    private void clientFailed(String why) {
        if (clientFailure == null) clientFailure = "t=" + now / UNITS_PER_TICK + ": " + why;
    }

    // ---------------------------------------------------------------- the network

    /** A node step sends a Raft message; a snapshot request ships the newest snapshot file, as the transport does. */
    void sendRaft(SimNode from, Message m) {
        if (m instanceof Message.SnapshotRequest s) {
            var local = from.snapshotToSend(s.snapshot().index());
            if (local.isEmpty()) return; // the transport gives up; the core tries again later
            SnapshotSource.Local file = local.get();
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file.file());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            snapshotsSent++;
            Message.SnapshotRequest named = new Message.SnapshotRequest(s.from(), s.to(), s.term(), file.meta());
            network.send(now, new SimNetwork.Packet(s.from(), s.to(), new SnapshotTransfer(named, bytes)));
        } else {
            network.send(now, new SimNetwork.Packet(m.from(), m.to(), m));
        }
    }

    /** The service of {@code from} forwards a command to {@code leader}; the answer comes back over the network. */
    CompletableFuture<KvResult> forward(SimNode from, long leader, KvRequest request, long deadlineNanos) {
        CompletableFuture<KvResult> result = new CompletableFuture<>();
        long callId = nextCallId++;
        forwards.put(callId, new Forward(from, from.incarnation(), result));
        network.send(now, new SimNetwork.Packet(from.id, leader, new ForwardCall(callId, request)), false);
        later(from, from.incarnation(), from.unitsUntil(deadlineNanos), () -> {
            forwards.remove(callId);
            result.complete(new KvResult.Unavailable("no answer from node " + leader + " within the request timeout", null));
        });
        return result;
    }

    private void deliver(SimNetwork.Packet p) {
        SimNode to = node(p.to());
        if (!to.alive()) return;
        network.delivered++;
        Object payload = p.payload();
        if (payload instanceof Message m) {
            to.receive(m);
        } else if (payload instanceof SnapshotTransfer t) {
            invariants.onSnapshotReceived(to.id, t.request().snapshot(), SimNode.digest(t.bytes()));
            to.receiveSnapshot(t.request(), t.bytes());
        } else if (payload instanceof ForwardCall call) {
            int incarnation = to.incarnation();
            to.service.execute(call.request(), false).whenComplete((result, error) -> {
                if (to.incarnation() != incarnation) return; // the process died with the call
                KvResult answer = error == null ? result : new KvResult.Internal(error.toString());
                network.send(now, new SimNetwork.Packet(to.id, p.from(), new ForwardReply(call.callId(), answer)), false);
            });
        } else if (payload instanceof ForwardReply reply) {
            Forward f = forwards.remove(reply.callId());
            if (f != null && f.from() == to && f.incarnation() == to.incarnation()) f.result().complete(reply.result());
        }
    }

    // ---------------------------------------------------------------- faults

    private void nemesis() {
        if (laggard != 0 && (now == lagFrom || now == lagUntil)) cutOffLaggard(now == lagFrom);
        if (random.nextDouble() < crashRate) {
            List<SimNode> inUse = inUse();
            SimNode n = inUse.get(random.nextInt(inUse.size()));
            // The laggard stays as it was cut off until its stretch ends.
            if (n.id != laggard || now < lagFrom || now >= lagUntil) {
                if (n.alive()) {
                    crashNowOrMidWrite(n);
                } else {
                    n.start(random.split(), invariants);
                }
            }
        }
        if (random.nextDouble() < stopRate) {
            // Half the stops are of the leader, which hands over first.
            SimNode n = random.nextBoolean() ? leader() : null;
            if (n == null) n = inUse().get(random.nextInt(inUse().size()));
            if (n.alive() && n.stopping == null && (n.id != laggard || now < lagFrom || now >= lagUntil)) stopGracefully(n);
        }
        if (leaderKillRate > 0 && random.nextDouble() < leaderKillRate) {
            // Leaders die young: elections pile up over logs that differ in their last terms.
            for (SimNode n : nodes) {
                if (n.alive() && n.core.role() == Role.LEADER) crashNowOrMidWrite(n);
            }
        }
        if (random.nextDouble() < partitionRate) {
            if (network.partitioned()) network.healAll();
            else partition();
        }
        if (random.nextDouble() < membershipRate) changeMembership();
        if (random.nextDouble() < transferRate) {
            for (SimNode n : nodes) {
                if (n.alive() && n.core.role() == Role.LEADER) {
                    long target = 1 + random.nextInt(clusterSize);
                    n.enqueue(n.incarnation(), () -> n.step.transferLeadership(target));
                    break;
                }
            }
        }
    }

    /**
     * A membership change, proposed to the leader as kvctl member does: remove a member (the
     * leader included), add a spare machine as a learner or as a voter (started with --join first,
     * under an id no configuration has held, as when a machine is replaced), or promote a
     * learner. The leader refuses what it must (a change in flight, a lagging learner, the last
     * voter); each change it takes must keep every two configurations' majorities overlapping.
     */
    private void changeMembership() {
        SimNode l = leader();
        if (l == null) return;
        Membership m = l.step.membership();
        List<Long> members = new ArrayList<>(m.members().keySet());
        List<Long> learners = new ArrayList<>(m.learners());
        // Outsiders: spare machines no configuration has held; a removed id is retired for good.
        List<Long> outsiders = new ArrayList<>();
        for (SimNode n : nodes) if (!m.contains(n.id) && !m.isRetired(n.id)) outsiders.add(n.id);
        MembershipChange change;
        int kind = random.nextInt(4);
        if (kind == 0 || (outsiders.isEmpty() && learners.isEmpty())) {
            change = new MembershipChange.Remove(members.get(random.nextInt(members.size())));
        } else if (!learners.isEmpty() && (kind == 1 || outsiders.isEmpty())) {
            change = new MembershipChange.Promote(learners.get(random.nextInt(learners.size())));
        } else {
            SimNode joiner = node(outsiders.get(random.nextInt(outsiders.size())));
            // The operator starts the new machine with --join, then adds it.
            if (!joiner.alive()) joiner.start(random.split(), invariants);
            ServerSpec spec = config.server((int) joiner.id);
            Membership.Address address = new Membership.Address(spec.hostname(), spec.clientPort(), spec.logPort());
            change = kind == 3 ? new MembershipChange.AddVoter(joiner.id, address) : new MembershipChange.AddLearner(joiner.id, address);
        }
        l.enqueue(l.incarnation(), () -> {
            Membership before = l.step.membership();
            MembershipResult result = l.step.changeMembership(change);
            if (result instanceof MembershipResult.Accepted a) {
                membershipChanges++;
                Invariants.checkOverlap(before, a.membership(), a.index());
                invariants.onConfigProposed(a.index(), a.membership());
            }
        });
    }

    /** SIGTERM: the signal handler's first step, then the node loop's; the process exits once the node is silent. */
    private void stopGracefully(SimNode n) {
        stops++;
        n.step.requestStop();
        n.enqueue(n.incarnation(), () -> n.stopping = n.step.beginStop());
    }

    private void cutOffLaggard(boolean cut) {
        SimNode n = node(laggard);
        if (cut) {
            if (laggardCrashes && n.alive()) crash(n);
            else network.isolate(n.id);
        } else {
            network.rejoin(n.id);
            if (!n.alive()) n.start(random.split(), invariants);
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
                        .orElse(inUse().get(random.nextInt(inUse().size())));
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
            if (n.alive()) n.storage.crashAtNextSync = false;
            if (!n.alive()) n.start(random.split(), invariants);
        }
    }

    /**
     * After healing, with the other clients quiet, a write sent to a random node must be
     * acknowledged within the bound; the client sends it again whenever an attempt ends without
     * an acknowledgement (the service's own request timeout).
     */
    private String awaitProgress() {
        long deadline = now + (long) livenessTicks * UNITS_PER_TICK;
        long acksBefore = clients.acks;
        while (now < deadline && clientFailure == null) {
            if (clients.acks > acksBefore) return null;
            if (!clients.livenessWriteInFlight()) clients.livenessWrite(randomMember());
            step(false);
        }
        if (clientFailure != null) return null;
        return "no write was acknowledged within " + livenessTicks + " ticks of healing; roles: " + roles();
    }

    private String roles() {
        StringBuilder sb = new StringBuilder();
        for (SimNode n : nodes) {
            if (!n.alive()) {
                sb.append(n.id).append("=down ");
                continue;
            }
            var s = n.core.status();
            sb.append(n.id).append('=').append(s.role()).append("/t").append(s.term())
                    .append("/c").append(s.commitIndex()).append("/l").append(s.lastIndex()).append(' ');
        }
        return sb.toString().trim();
    }

    /** A live node that believes it leads, or null. */
    /**
     * A random node of the membership that the node with the newest one holds (all of them before any
     * change): where a client that follows the cluster's membership sends a command. A removed node
     * may not know the leader any more and times out what it is sent.
     */
    private SimNode randomMember() {
        Membership newest = null;
        long newestIndex = -1;
        for (SimNode n : nodes) {
            if (n.alive() && n.step.membershipIndex() > newestIndex) {
                newest = n.step.membership();
                newestIndex = n.step.membershipIndex();
            }
        }
        List<SimNode> members = new ArrayList<>();
        for (SimNode n : nodes) if (newest == null || newest.contains(n.id)) members.add(n);
        return members.get(random.nextInt(members.size()));
    }

    /** The machines started at least once: the initial members and the spares added since. */
    List<SimNode> inUse() {
        List<SimNode> out = new ArrayList<>();
        for (SimNode n : nodes) if (n.starts > 0) out.add(n);
        return out;
    }

    private SimNode leader() {
        for (SimNode n : nodes) {
            if (n.alive() && n.core.role() == Role.LEADER) return n;
        }
        return null;
    }

    private SimNode node(long id) {
        return nodes.get((int) id - 1);
    }

    private void deleteDataDir() {
        try (Stream<Path> paths = Files.walk(dataDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Only temporary files are at stake.
        }
    }
}
