package raftkv.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.zip.CRC32C;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.kv.KvLimits;
import raftkv.node.Clock;
import raftkv.node.CommandSink;
import raftkv.node.Forwarder;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;
import raftkv.node.KvService;
import raftkv.node.NodeStep;
import raftkv.node.SnapshotKeeper;
import raftkv.raft.Message;
import raftkv.raft.RaftConfig;
import raftkv.raft.RaftCore;
import raftkv.raft.SnapshotMeta;
import raftkv.transport.SnapshotSource;
import raftkv.transport.Transport;
import raftkv.wal.MemoryStorage;
import raftkv.wal.SnapshotFiles;

/**
 * One simulated node: the production {@link NodeStep} (its core, {@code KvStateMachine},
 * {@code PendingRequests}, {@link SnapshotKeeper} and graceful stop) and {@link KvService}, on a
 * {@link MemoryStorage} that survives crashes as a disk does, snapshot files in a folder of its
 * own, and a clock that runs at this node's own rate. Events reach the step through an inbox, as
 * they reach a running node through its queue; the simulation drains it and has the step handle
 * the Ready once per batch. Each start is an incarnation: what was scheduled for an earlier one
 * (timers, snapshot writes, forwarded replies) is dropped.
 */
final class SimNode implements Invariants.Disk {
    // Wall clocks start here (2026-01-01), each node off by its own offset.
    private static final long EPOCH_MS = 1_767_225_600_000L;

    final long id;
    private final Simulation sim;
    private final RaftConfig raftConfig;
    private final ClusterConfig clusterConfig;
    private final KvLimits limits;
    private final Path snapshotDir;
    // Node time runs at this many nanoseconds per simulated unit: clocks drift.
    private final long nanosPerUnit;
    private final long wallOffsetMs;

    private MemoryStorage disk = new MemoryStorage();
    // Its data folder was wiped after it left the cluster: it starts as a node that joins (--join),
    // not in the initial membership, and waits to be added.
    private boolean joining;
    private long localNanos;
    private long nextTickNanos;
    private int incarnation;
    // Times the node was started: above 1, it has crashed (or stopped) and restarted from its disk.
    int starts;
    // Reads served as a follower by the incarnations before the current one.
    private long followerReadsBefore;

    // The current incarnation; null while down.
    RaftCore core;
    NodeStep step;
    KvService service;
    SimStorage storage;
    private SnapshotFiles files;
    private SnapshotKeeper keeper;
    private List<Runnable> inbox = new ArrayList<>();
    // Commit indexes up to here have been checked against every other node's.
    long commitChecked;
    // The newest snapshot on this node's disk (written or installed), for the durability check.
    private long durableSnapshotIndex;
    // A graceful stop in progress: the node exits once its step is silent.
    CompletableFuture<Void> stopping;

    SimNode(long id, Simulation sim, RaftConfig raftConfig, ClusterConfig clusterConfig, KvLimits limits, Path snapshotDir,
            double rate, long wallOffsetMs) {
        this.id = id;
        this.sim = sim;
        this.raftConfig = raftConfig;
        this.clusterConfig = clusterConfig;
        this.limits = limits;
        this.snapshotDir = snapshotDir;
        this.nanosPerUnit = Math.round(rate * Simulation.NANOS_PER_UNIT);
        this.wallOffsetMs = wallOffsetMs;
    }

    boolean alive() {
        return step != null;
    }

    int incarnation() {
        return incarnation;
    }

    // ---------------------------------------------------------------- life

    /** Starts (or restarts) the node from exactly what its disk holds, as {@code server/NodeProcess} does. */
    void start(SplittableRandom random, Invariants invariants) {
        incarnation++;
        starts++;
        files = SnapshotFiles.open(snapshotDir, false);
        SnapshotKeeper.Loaded loaded = SnapshotKeeper.loadNewest(id, files, limits);
        disk = disk.restart(loaded.meta());
        storage = new SimStorage(this, disk, invariants);
        var recovered = storage.recovered();
        RaftConfig raftConfig = joining ? joinerConfig() : this.raftConfig;
        core = new RaftCore(raftConfig, recovered.hardState(), recovered.snapshot(), loaded.machine().membership(),
                recovered.entries(), random);
        int born = incarnation;
        Executor writer = task -> sim.later(this, born, 1 + random.nextInt(3 * Simulation.UNITS_PER_TICK), task);
        keeper = new SnapshotKeeper(id, files, storage, clusterConfig.snapshotEntries(), clusterConfig.walSegmentBytes(),
                loaded.meta(), limits, clusterConfig.limits().catchUpLogBytes(), writer);
        Clock clock = new Clock() {
            @Override
            public long wallMillis() {
                return EPOCH_MS + wallOffsetMs + localNanos / 1_000_000;
            }

            @Override
            public long nanos() {
                return localNanos;
            }
        };
        step = new NodeStep(id, core, loaded.machine(), storage, keeper, transport(), clock,
                written -> enqueue(born, () -> snapshotWritten(written, invariants)));
        step.watchReady(r -> sim.onReady(this, r));
        Forwarder forwarder = new Forwarder() {
            @Override
            public CompletableFuture<KvResult> forward(ServerSpec leader, KvRequest request, long deadlineNanos) {
                return sim.forward(SimNode.this, leader.id(), request, deadlineNanos);
            }

            @Override
            public void close() {}
        };
        service = new KvService(sink(), clusterConfig, forwarder, (task, delayMillis) -> sim.later(this, born, unitsFor(delayMillis), task),
                clock);
        inbox = new ArrayList<>();
        commitChecked = loaded.meta().index();
        durableSnapshotIndex = loaded.meta().index();
        stopping = null;
    }

    /** As {@code server/NodeProcess} builds it for --join: the initial members are the others. */
    private RaftConfig joinerConfig() {
        RaftConfig c = this.raftConfig;
        return new RaftConfig(id, c.voters().stream().filter(v -> v != id).toList(), c.electionTicks(), c.heartbeatTicks(),
                c.preVote(), c.checkQuorum(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(), c.maxInflight());
    }

    /**
     * Loses everything that is not on disk: a crash in the middle of a write keeps a prefix of the
     * writes since the last sync ({@code keptWrites}).
     */
    void crash(int keptWrites) {
        disk.crash(keptWrites);
        down();
    }

    /** The end of a graceful stop: the process exits, its storage closed (synced). */
    void exit() {
        storage.close();
        down();
    }

    /** Reads this node served as a follower or learner, over all its incarnations. */
    long followerReadsServed() {
        return followerReadsBefore + (step == null ? 0 : step.followerReadsServed());
    }

    private void down() {
        if (step != null) followerReadsBefore += step.followerReadsServed();
        incarnation++;
        core = null;
        step = null;
        service = null;
        storage = null;
        keeper = null;
        inbox = new ArrayList<>();
        stopping = null;
        durableSnapshotIndex = files.newest().map(s -> s.meta().index()).orElse(0L);
    }

    /**
     * A spare machine, not in the initial membership: when started, it starts as {@code --join} does
     * and waits for a leader to add it. Ids are never reused (a removed id is retired), so a node
     * joins under an id no configuration has held.
     */
    void joinsLater() {
        joining = true;
    }

    int unsyncedWrites() {
        return disk.unsyncedWrites();
    }

    // ---------------------------------------------------------------- time and events

    /** Advances this node's clock by one unit; queues a tick each time a tick's worth has passed. */
    void advanceClock() {
        localNanos += nanosPerUnit;
        while (localNanos >= nextTickNanos) {
            nextTickNanos += Simulation.NANOS_PER_TICK;
            enqueue(incarnation, () -> step.tick());
        }
    }

    /** Units of simulated time in which {@code millis} pass on this node's clock (at least 1). */
    long unitsFor(long millis) {
        return Math.max(1, (millis * 1_000_000 + nanosPerUnit - 1) / nanosPerUnit);
    }

    /** Units of simulated time until this node's clock reads {@code nanos} (at least 1). */
    long unitsUntil(long nanos) {
        return Math.max(1, (nanos - localNanos + nanosPerUnit - 1) / nanosPerUnit);
    }

    void enqueue(int born, Runnable event) {
        if (born == incarnation && alive()) inbox.add(event);
    }

    /** Runs the events queued so far, then has the step handle the Ready once for the batch. */
    void runBatch() {
        if (inbox.isEmpty()) return;
        List<Runnable> batch = inbox;
        inbox = new ArrayList<>();
        for (Runnable event : batch) {
            if (!alive()) return;
            event.run();
        }
        if (!alive()) return;
        step.handleReady();
    }

    // ---------------------------------------------------------------- wiring

    private CommandSink sink() {
        int born = incarnation;
        return new CommandSink() {
            @Override
            public long id() {
                return id;
            }

            @Override
            public long knownLeader() {
                return alive() && born == incarnation ? step.knownLeader() : RaftCore.NONE;
            }

            @Override
            public CompletableFuture<NodeStep.Outcome> submit(KvRequest request, long deadlineNanos) {
                CompletableFuture<NodeStep.Outcome> result = new CompletableFuture<>();
                enqueue(born, () -> step.submit(request, result, deadlineNanos));
                return result;
            }
        };
    }

    private Transport transport() {
        return new Transport() {
            @Override
            public void start(Inbound inbound) {}

            @Override
            public void send(Message request) {
                sim.sendRaft(SimNode.this, request);
            }

            @Override
            public void close() {}
        };
    }

    /** A peer's Raft message reached this node: it goes through the inbox, as through the node's queue. */
    void receive(Message m) {
        int born = incarnation;
        if (Message.isRequest(m) || Message.isOneWay(m)) {
            enqueue(born, () -> step.stepRequest(m, reply -> {
                if (reply != null) sim.sendRaft(this, reply);
            }));
        } else {
            enqueue(born, () -> step.stepResponse(m));
        }
    }

    /** A whole snapshot a peer sent: written to an incoming file and read as the transport does, then stepped. */
    void receiveSnapshot(Message.SnapshotRequest request, byte[] bytes) {
        Optional<SnapshotKeeper.Received> received;
        try {
            Path file = keeper.newIncomingFile();
            Files.write(file, bytes);
            received = SnapshotKeeper.receive(id, request, file);
            if (received.isEmpty()) Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        received.ifPresent(r -> enqueue(incarnation, () -> step.stepSnapshot(request, r, reply -> {
            if (reply != null) sim.sendRaft(this, reply);
        })));
    }

    /** The newest snapshot file at or past {@code index}, as the transport ships it; empty if there is none. */
    Optional<SnapshotSource.Local> snapshotToSend(long index) {
        return keeper.newest().filter(l -> l.meta().index() >= index);
    }

    private void snapshotWritten(SnapshotKeeper.Written written, Invariants invariants) {
        if (written.failure() == null) {
            durableSnapshotIndex = Math.max(durableSnapshotIndex, written.meta().index());
            invariants.onSnapshot(id, written.meta(), digest(fileOf(written.meta())));
        }
        step.snapshotWritten(written);
    }

    /** A snapshot the step installed (seen in its Ready) is on disk once that Ready was handled. */
    void installed(SnapshotMeta meta) {
        durableSnapshotIndex = Math.max(durableSnapshotIndex, meta.index());
    }

    private Path fileOf(SnapshotMeta meta) {
        return files.list().stream().filter(s -> s.meta().equals(meta)).findFirst()
                .orElseThrow(() -> new SafetyViolation("node " + id + " wrote snapshot " + meta + " but its file is gone"))
                .file();
    }

    static long digest(Path file) {
        try {
            return digest(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long digest(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue() ^ ((long) bytes.length << 32);
    }

    // ---------------------------------------------------------------- Invariants.Disk

    @Override
    public long nodeId() {
        return id;
    }

    @Override
    public long snapshotIndex() {
        return durableSnapshotIndex;
    }

    @Override
    public long durableTerm(long index) {
        return disk.durableTerm(index);
    }
}
