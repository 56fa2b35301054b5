package raftkv.server;

import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.api.FaultInjectionService;
import raftkv.api.KvCallInterceptor;
import raftkv.api.KvGrpcService;
import raftkv.api.LeaderForwarder;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.gateway.RequestIdSource;
import raftkv.gateway.TextServer;
import raftkv.kv.KvStateMachine;
import raftkv.metrics.MeteredKvApi;
import raftkv.node.KvService;
import raftkv.node.SnapshotKeeper;
import raftkv.node.RaftNode;
import raftkv.raft.Entry;
import raftkv.raft.RaftConfig;
import raftkv.raft.RaftCore;
import raftkv.transport.GrpcTransport;
import raftkv.transport.PartitionHook;
import raftkv.transport.PeerServer;
import raftkv.wal.RaftStorage;
import raftkv.wal.SnapshotFiles;
import raftkv.wal.Wal;

/**
 * One running node: its write-ahead log, Raft loop, state machine, peer transport, gRPC server
 * (peer and client services on LogPort) and text gateway (ClientPort). Built and started by
 * {@link #start}; {@link #close()} stops it in the reverse order.
 */
final class Node implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Node.class);
    // The soft cap on entry bytes in one AppendEntries; one entry always goes, whatever its size.
    private static final int MAX_APPEND_BYTES = 1 << 20;

    /** A port that could not be bound: reported as one line, exit code 2. */
    static final class BindException extends Exception {
        BindException(String message) {
            super(message);
        }
    }

    private final int id;
    private final FileLock lock;
    private final RaftStorage storage;
    private final GrpcTransport transport;
    private final RaftNode node;
    private final ScheduledExecutorService scheduler;
    private final LeaderForwarder forwarder;
    private final CompletableFuture<Throwable> fatal = new CompletableFuture<>();
    private PeerServer grpcServer;
    private TextServer textServer;
    private Operations operations;

    private Node(int id, FileLock lock, RaftStorage storage, GrpcTransport transport, RaftNode node,
                 ScheduledExecutorService scheduler, LeaderForwarder forwarder) {
        this.id = id;
        this.lock = lock;
        this.storage = storage;
        this.transport = transport;
        this.node = node;
        this.scheduler = scheduler;
        this.forwarder = forwarder;
    }

    static Node start(ClusterConfig config, int id, FileLock lock) throws IOException, BindException {
        ServerSpec self = config.server(id);
        long startNanos = System.nanoTime();
        SnapshotFiles snapshotFiles = SnapshotFiles.open(config.nodeDir(id).resolve("snapshots"), config.fsync());
        SnapshotKeeper.Loaded loaded = SnapshotKeeper.loadNewest(id, snapshotFiles);
        long snapshotMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        RaftStorage storage = Wal.open(config.nodeDir(id).resolve("wal"), config.fsync(), config.walSegmentBytes(),
                loaded.meta());
        RaftStorage.Recovered recovered = storage.recovered();
        KvStateMachine stateMachine = loaded.machine();
        long recoveryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        SnapshotKeeper snapshots = new SnapshotKeeper(id, snapshotFiles, storage, config.snapshotEntries(),
                config.walSegmentBytes(), loaded.meta());

        // A tick is half a heartbeat: the leader heartbeats every 2 ticks, an election timeout is t/tick ticks.
        int tickMs = Math.max(1, config.heartbeatMs() / 2);
        int heartbeatTicks = Math.max(1, config.heartbeatMs() / tickMs);
        int electionTicks = Math.max(heartbeatTicks + 1, config.electionTimeoutMs() / tickMs);
        List<Long> voters = config.servers().stream().map(s -> (long) s.id()).toList();
        RaftConfig raftConfig = new RaftConfig(id, voters, electionTicks, heartbeatTicks, true, true, 512,
                MAX_APPEND_BYTES, 256);
        RaftCore core = new RaftCore(raftConfig, recovered.hardState(), recovered.snapshot(), recovered.entries(),
                new SplittableRandom(new SecureRandom().nextLong()));

        int maxMessageBytes = GrpcTransport.maxMessageBytes(Math.max(config.maxValueBytes(), MAX_APPEND_BYTES));
        Map<Long, String> peers = new LinkedHashMap<>();
        for (ServerSpec s : config.servers()) {
            if (s.id() != id) peers.put((long) s.id(), s.logAddress());
        }
        GrpcTransport transport = new GrpcTransport(id, peers, maxMessageBytes,
                GrpcTransport.Options.defaults(maxMessageBytes), snapshots);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raft-ticker-" + id);
            t.setDaemon(true);
            return t;
        });
        LeaderForwarder forwarder = new LeaderForwarder(maxMessageBytes);
        Node[] holder = new Node[1];
        RaftNode raftNode = new RaftNode(id, core, stateMachine, storage, snapshots, transport, RaftNode.Clock.SYSTEM,
                t -> holder[0].fatal.complete(t));
        Node node = new Node(id, lock, storage, transport, raftNode, scheduler, forwarder);
        holder[0] = node;

        KvService service = new KvService(raftNode, config, forwarder, scheduler);
        KvGrpcService kvGrpc = new KvGrpcService(service, raftNode, self, leaderId -> config.server((int) (long) leaderId));
        KvCallInterceptor hints = new KvCallInterceptor(() -> {
            long leader = raftNode.knownLeader();
            return leader == RaftCore.NONE ? null : config.server((int) leader).logAddress();
        });
        List<BindableService> services = new ArrayList<>();
        services.add(transport.peerService());
        // SPEC 10: metrics, health, reflection (and HttpPort, started below).
        Operations operations = new Operations(raftNode, transport, peers.keySet(), config.nodeDir(id));
        node.operations = operations;
        if (storage instanceof Wal wal) wal.observeFsyncs(operations.metrics()::observeFsync);
        services.add(() -> ServerInterceptors.intercept(kvGrpc, hints, operations.statusExtras(),
                operations.grpcMetrics()));
        services.addAll(operations.grpcServices());
        if (config.testFaultInjection()) {
            // Tests only: without the config key neither the hook nor the service exists.
            log.warn("node {}: test fault injection is ON (\"testFaultInjection\": true): anyone who reaches "
                    + "{} can cut this node off; never use this setting outside tests", id, self.logAddress());
            PartitionHook hook = new PartitionHook();
            transport.installPartitionHook(hook);
            services.add(new FaultInjectionService(id, peers.keySet(), hook, raftNode));
        }

        raftNode.start();
        try {
            node.grpcServer = PeerServer.start(self.hostname(), self.logPort(), maxMessageBytes, services);
            node.textServer = TextServer.start(self.hostname(), self.clientPort(),
                    new MeteredKvApi(service, operations.metrics(), "text"), config.maxValueBytes(),
                    new RequestIdSource());
            operations.start(self, node.textServer);
        } catch (IOException e) {
            node.close();
            throw new BindException(e.getMessage());
        }
        scheduler.scheduleAtFixedRate(raftNode::tick, tickMs, tickMs, TimeUnit.MILLISECONDS);
        operations.watchLeader(raftNode, scheduler, tickMs);
        log.info("node {} started: text protocol on {}, gRPC on {}; recovered term {}, snapshot at entry {} with {} keys "
                        + "({} ms), then {} log entries up to entry {} ({} ms in all)",
                id, self.clientAddress(), self.logAddress(), recovered.hardState().term(), loaded.meta().index(),
                stateMachine.size(), snapshotMillis, recovered.entries().size(),
                Math.max(loaded.meta().index(), lastIndex(recovered.entries())), recoveryMillis);
        return node;
    }

    int id() {
        return id;
    }

    /** The transport, for tests of the wiring (whether a fault hook is installed). */
    GrpcTransport transport() {
        return transport;
    }

    /** Completes if the Raft loop stops on a fatal error. */
    CompletableFuture<Throwable> awaitFatal() {
        return fatal;
    }

    /** Stops serving clients, then peers, then the loop, and closes the log last. */
    @Override
    public void close() {
        if (operations != null) operations.close();
        if (textServer != null) textServer.close();
        if (grpcServer != null) grpcServer.close();
        scheduler.shutdownNow();
        node.close();
        transport.close();
        forwarder.close();
        storage.close();
        try {
            lock.release();
            lock.channel().close();
        } catch (IOException e) {
            log.warn("node {}: could not release the data folder lock: {}", id, e.getMessage());
        }
    }

    private static long lastIndex(List<Entry> entries) {
        return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).index();
    }
}
