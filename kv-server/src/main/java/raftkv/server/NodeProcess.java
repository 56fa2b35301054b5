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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.api.FaultInjectionService;
import raftkv.api.ClientCallLimits;
import raftkv.api.KvCallInterceptor;
import raftkv.api.KvGrpcService;
import raftkv.api.BatchedForwarder;
import raftkv.api.LeaderForwardService;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.gateway.GatewayLimits;
import raftkv.gateway.RequestIdSource;
import raftkv.gateway.TextServer;
import raftkv.kv.KvLimits;
import raftkv.kv.KvStateMachine;
import raftkv.node.Clock;
import raftkv.node.DiskReserve;
import raftkv.metrics.MeteredKvApi;
import raftkv.node.KvService;
import raftkv.node.SnapshotKeeper;
import raftkv.node.RaftNode;
import raftkv.node.Timer;
import raftkv.raft.Entry;
import raftkv.node.MemberAddresses;
import raftkv.raft.RaftConfig;
import raftkv.raft.RaftCore;
import raftkv.security.NodeTls;
import raftkv.security.SecurityChecks;
import raftkv.transport.GrpcTransport;
import raftkv.transport.PartitionHook;
import raftkv.transport.PeerIdentityInterceptor;
import raftkv.transport.PeerServer;
import raftkv.transport.RaftPeerService;
import raftkv.wal.RaftStorage;
import raftkv.wal.SnapshotFiles;
import raftkv.wal.Wal;

/**
 * One running node: its write-ahead log, Raft loop, state machine, peer transport, gRPC server
 * (peer and client services on LogPort) and text gateway (ClientPort). Built and started by
 * {@link #start}; {@link #close()} stops it in the reverse order.
 */
final class NodeProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeProcess.class);
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
    private final BatchedForwarder forwarder;
    private final CompletableFuture<Throwable> fatal = new CompletableFuture<>();
    // How long a leader may take to hand over before it stops anyway (one election timeout), plus a margin.
    private final long handoverMillis;
    private CompletableFuture<Void> silenced;
    private PeerServer grpcServer;
    private LeaderForwardService forwardService;
    private TextServer textServer;
    private Operations operations;

    private NodeProcess(int id, FileLock lock, RaftStorage storage, GrpcTransport transport, RaftNode node,
                 ScheduledExecutorService scheduler, BatchedForwarder forwarder, long handoverMillis) {
        this.id = id;
        this.handoverMillis = handoverMillis;
        this.lock = lock;
        this.storage = storage;
        this.transport = transport;
        this.node = node;
        this.scheduler = scheduler;
        this.forwarder = forwarder;
    }

    static NodeProcess start(ClusterConfig config, int id, FileLock lock) throws IOException, BindException {
        return start(config, id, lock, false);
    }

    /**
     * @param join the node is not in the initial membership (--join): config.json's servers other than
     *             itself are, and it waits for a leader to add it
     */
    static NodeProcess start(ClusterConfig config, int id, FileLock lock, boolean join) throws IOException, BindException {
        ServerSpec self = config.server(id);
        // First, so that a bad certificate stops the node before it touches its log.
        NodeTls tls = NodeTls.forNode(config, id);
        SecurityChecks.atStart(config, id, tls).forEach(warning -> log.warn("node {}: {}", id, warning));
        long startNanos = System.nanoTime();
        SnapshotFiles snapshotFiles = SnapshotFiles.open(config.nodeDir(id).resolve("snapshots"), config.fsync());
        KvLimits kvLimits = new KvLimits(config.limits().quotaBytes(), config.limits().maxSessions());
        SnapshotKeeper.Loaded loaded = SnapshotKeeper.loadNewest(id, snapshotFiles, kvLimits);
        long snapshotMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        RaftStorage storage = Wal.open(config.nodeDir(id).resolve("wal"), config.fsync(), config.walSegmentBytes(),
                loaded.meta());
        RaftStorage.Recovered recovered = storage.recovered();
        KvStateMachine stateMachine = loaded.machine();
        long recoveryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        SnapshotKeeper snapshots = new SnapshotKeeper(id, snapshotFiles, storage, config.snapshotEntries(),
                config.walSegmentBytes(), loaded.meta(), kvLimits, config.limits().catchUpLogBytes(), null);

        // A tick is half a heartbeat: the leader heartbeats every 2 ticks, an election timeout is t/tick ticks.
        int tickMs = Math.max(1, config.heartbeatMs() / 2);
        int heartbeatTicks = Math.max(1, config.heartbeatMs() / tickMs);
        int electionTicks = Math.max(heartbeatTicks + 1, config.electionTimeoutMs() / tickMs);
        // The initial membership of a brand-new cluster; the log and snapshot hold it from the first change on.
        List<Long> voters = config.servers().stream().map(s -> (long) s.id()).filter(s -> !join || s != id).toList();
        if (voters.isEmpty()) throw new IOException("--join: the config names no server but this node to join");
        RaftConfig raftConfig = new RaftConfig(id, voters, electionTicks, heartbeatTicks, true, true, 512,
                MAX_APPEND_BYTES, 256);
        RaftCore core = new RaftCore(raftConfig, recovered.hardState(), recovered.snapshot(), stateMachine.membership(),
                recovered.entries(), new SplittableRandom(new SecureRandom().nextLong()));
        MemberAddresses addresses = new MemberAddresses(config.servers(), core.membership());
        if (join) log.info("node {}: joining: waiting for a leader to add it ({})", id, core.membership());

        int maxMessageBytes = GrpcTransport.maxMessageBytes(Math.max(config.maxValueBytes(), MAX_APPEND_BYTES));
        Map<Long, String> peers = new LinkedHashMap<>();
        for (ServerSpec s : addresses.all().values()) {
            if (s.id() != id) peers.put((long) s.id(), s.logAddress());
        }
        java.util.OptionalLong stored = ClusterIdFile.read(config, id);
        GrpcTransport transport = new GrpcTransport(id, peers, maxMessageBytes,
                GrpcTransport.Options.defaults(maxMessageBytes), snapshots, stored.orElse(config.clusterId()), tls.peerCredentials());
        if (stored.isEmpty() && join) {
            transport.bindClusterIdOnFirstContact(clusterId -> ClusterIdFile.write(config, id, clusterId));
        } else if (stored.isEmpty()) {
            ClusterIdFile.write(config, id, config.clusterId());
        }
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raft-ticker-" + id);
            t.setDaemon(true);
            return t;
        });
        BatchedForwarder forwarder = new BatchedForwarder(maxMessageBytes, Clock.SYSTEM, tls.peerCredentials());
        NodeProcess[] holder = new NodeProcess[1];
        DiskReserve diskReserve = new DiskReserve(DiskReserve.FreeSpace.of(config.nodeDir(id)),
                config.limits().diskReserveBytes(), Clock.SYSTEM);
        RaftNode raftNode = new RaftNode(id, core, stateMachine, storage, snapshots, transport, Clock.SYSTEM,
                t -> holder[0].fatal.complete(t), config.limits().inflightBytes(), diskReserve);
        // "forward": false (SPEC 1): a follower answers ERR_REDIRECT to every command, reads included.
        if (!config.forward()) raftNode.serveReadsOnlyAsLeader();
        // SPEC 2: no reply to a peer once SIGTERM has arrived, even before the JVM runs the Java handler.
        raftNode.stopAlsoRequestedWhen(SignalFlag::termReceived);
        // Before each Ready's messages go out: links to new members, none to removed ones.
        raftNode.onMembershipChange(m -> {
            if (addresses.update(m)) transport.updatePeers(peerAddresses(addresses, id));
        });
        NodeProcess node = new NodeProcess(id, lock, storage, transport, raftNode, scheduler, forwarder,
                config.electionTimeoutMs() + 1000L);
        holder[0] = node;

        Timer timer = (task, delayMillis) -> scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        KvService service = new KvService(raftNode, config, forwarder, timer, Clock.SYSTEM).withMembers(addresses);
        KvGrpcService kvGrpc = new KvGrpcService(service, raftNode, self, addresses::spec, timer,
                config.electionTimeoutMs()).withMembers(addresses);
        KvCallInterceptor hints = new KvCallInterceptor(() -> {
            long leader = raftNode.knownLeader();
            ServerSpec spec = leader == RaftCore.NONE ? null : addresses.spec(leader);
            return spec == null ? null : spec.logAddress();
        });
        List<BindableService> services = new ArrayList<>();
        RaftPeerService peerService = transport.peerService();
        // With TLS only a certified node may call raft.proto, and only in its own name (SPEC section 8).
        services.add(tls.enabled()
                ? () -> ServerInterceptors.intercept(peerService, new PeerIdentityInterceptor(id))
                : peerService);
        // SPEC 10: metrics, health, reflection (and HttpPort, started below).
        Operations operations = new Operations(raftNode, transport, peers.keySet(), config.nodeDir(id));
        node.operations = operations;
        if (storage instanceof Wal wal) wal.observeFsyncs(operations.metrics()::observeFsync);
        snapshots.observeWrites(operations.metrics()::snapshotWritten);
        // Client calls only: peers' traffic is never refused or held back by client limits (the
        // last interceptor runs first, so a refused call costs nothing else).
        ClientCallLimits callLimits = new ClientCallLimits(config.limits().maxConnections(), maxMessageBytes);
        services.add(() -> ServerInterceptors.intercept(kvGrpc, hints, operations.statusExtras(),
                operations.grpcMetrics(), callLimits));
        // Forwarded commands from followers: behind the same TLS and connection limits as KeyValue.
        LeaderForwardService forwardService = node.forwardService = new LeaderForwardService(service,
                PeerServer.MAX_CONCURRENT_CALLS_PER_CONNECTION, maxMessageBytes);
        services.add(() -> ServerInterceptors.intercept(forwardService, callLimits));
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
            node.grpcServer = PeerServer.start(self.hostname(), self.logPort(), maxMessageBytes, services,
                    tls.logPortCredentials(), List.of(callLimits.transportFilter()));
            node.textServer = TextServer.start(self.hostname(), self.clientPort(),
                    new MeteredKvApi(service, operations.metrics(), "text"),
                    GatewayLimits.of(config.maxValueBytes(), config.limits()), new RequestIdSource(), tls.textContext());
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

    /**
     * SIGTERM, first step, on the signal's own thread (SPEC 2): leaves Raft. A follower answers no
     * vote, append or heartbeat from the moment this returns; a leader begins handing leadership
     * over. Idempotent.
     */
    synchronized void beginStop() {
        if (silenced != null) return;
        silenced = node.beginGracefulStop();
        // Logged once the node has left (a follower) or is handing over (a leader): its timestamp
        // bounds when the signal was handled, for anyone matching it against a client's view.
        log.info("node {}: stop requested (signal handled)", id);
    }

    /**
     * SIGTERM: {@link #beginStop}, then waits until this node is out of Raft (a leader hands over
     * first, for at most an election timeout), then {@link #close}: client commands in flight are
     * answered (those that reached the node during the handover go to the new leader), new ones
     * are refused, and the node stops.
     */
    void stopGracefully() {
        beginStop();
        try {
            silenced.get(handoverMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("node {}: still taking part in Raft {} ms after SIGTERM; stopping anyway", id, handoverMillis);
        } catch (ExecutionException e) {
            log.warn("node {}: could not leave Raft cleanly: {}", id, e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    /** Stops serving clients, then peers, then the loop, and closes the log last. */
    @Override
    public void close() {
        if (operations != null) operations.close();
        if (textServer != null) textServer.close();
        if (grpcServer != null) grpcServer.close();
        if (forwardService != null) forwardService.close();
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

    private static Map<Long, String> peerAddresses(MemberAddresses addresses, long self) {
        Map<Long, String> peers = new LinkedHashMap<>();
        addresses.all().forEach((peer, spec) -> {
            if (peer != self) peers.put(peer, spec.logAddress());
        });
        return peers;
    }

    private static long lastIndex(List<Entry> entries) {
        return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).index();
    }
}
