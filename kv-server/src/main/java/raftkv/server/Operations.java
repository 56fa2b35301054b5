package raftkv.server;

import io.grpc.BindableService;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;
import raftkv.config.ServerSpec;
import raftkv.gateway.TextServer;
import raftkv.metrics.GrpcMetricsInterceptor;
import raftkv.metrics.HttpEndpoints;
import raftkv.metrics.NodeMetrics;
import raftkv.node.NodeStep;
import raftkv.node.RaftNode;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.StatusResponse;
import raftkv.raft.RaftCore;
import raftkv.transport.GrpcTransport;
import raftkv.transport.PeerStats;

/**
 * What an operator sees of one node (SPEC 10): its metrics, the HTTP endpoints on HttpPort when
 * the config gives one, and grpc.health.v1 and server reflection on LogPort. Reads the node only
 * through read-only views (the loop's status query, the transport's and gateway's counters, file
 * sizes); the one thing pushed in is the write-ahead log's fsync time, through a callback.
 */
final class Operations implements AutoCloseable {
    private static final long RAFT_VIEW_MAX_AGE_MS = 200;

    private final NodeMetrics metrics;
    private final Supplier<NodeMetrics.DiskView> disk;
    private final Supplier<NodeMetrics.RaftView> raftView;
    private final HealthStatusManager health = new HealthStatusManager();
    private volatile TextServer textServer;
    private HttpEndpoints http;

    Operations(RaftNode node, GrpcTransport transport, Collection<Long> peers, Path nodeDir) {
        this.raftView = cached(RAFT_VIEW_MAX_AGE_MS, () -> view(node));
        this.disk = cached(1000, () -> diskView(nodeDir));
        Supplier<List<PeerStats>> peerStats = transport::allStats;
        this.metrics = new NodeMetrics(raftView, disk, peerStats, () -> textServer == null ? null : textServer.stats());
    }

    NodeMetrics metrics() {
        return metrics;
    }

    ServerInterceptor grpcMetrics() {
        return new GrpcMetricsInterceptor(metrics);
    }

    /** Adds the build's version, the newest snapshot's index and the data folder's size to Status answers. */
    ServerInterceptor statusExtras() {
        String version = BuildInfo.version() + " (commit " + BuildInfo.commit() + ")";
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                if (!call.getMethodDescriptor().getFullMethodName().equals(KeyValueGrpc.getStatusMethod().getFullMethodName())) {
                    return next.startCall(call, headers);
                }
                return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    @SuppressWarnings("unchecked")
                    public void sendMessage(R message) {
                        NodeMetrics.DiskView d = disk.get();
                        super.sendMessage((R) ((StatusResponse) message).toBuilder().setVersion(version)
                                .setSnapshotIndex(d.newestSnapshotIndex()).setDataBytes(d.dataBytes()).build());
                    }
                }, headers);
            }
        };
    }

    /** grpc.health.v1 (SERVING for "" and the client service while the node runs) and reflection. */
    @SuppressWarnings("deprecation") // v1alpha reflection too, for clients (older grpcurl) that ask only for it
    List<BindableService> grpcServices() {
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(KeyValueGrpc.SERVICE_NAME, ServingStatus.SERVING);
        List<BindableService> services = new ArrayList<>();
        services.add(health.getHealthService());
        services.add(ProtoReflectionServiceV1.newInstance());
        services.add(io.grpc.protobuf.services.ProtoReflectionService.newInstance());
        return services;
    }

    /** Counts leader changes by watching the node's known leader every {@code periodMs}. */
    void watchLeader(RaftNode node, ScheduledExecutorService scheduler, long periodMs) {
        AtomicLong last = new AtomicLong(RaftCore.NONE);
        scheduler.scheduleAtFixedRate(() -> {
            long leader = node.knownLeader();
            if (last.getAndSet(leader) != leader) metrics.leaderChanged();
        }, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    /** Serves HttpPort if {@code self} has one; the text server's counters join the metrics. */
    void start(ServerSpec self, TextServer text) throws IOException {
        this.textServer = text;
        if (self.httpPort() == ServerSpec.NO_HTTP) return;
        try {
            http = HttpEndpoints.start(self.hostname(), self.httpPort(), metrics, raftView);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + self.hostname() + ":" + self.httpPort() + " (HttpPort): " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        health.enterTerminalState();
        if (http != null) http.close();
    }

    private static NodeMetrics.RaftView view(RaftNode node) {
        try {
            NodeStep.NodeStatus s = node.status().get(1, TimeUnit.SECONDS);
            return new NodeMetrics.RaftView(s.raft().term(), s.raft().role(), s.raft().leader(), s.raft().commitIndex(),
                    s.appliedIndex(), s.raft().lastIndex(), s.keys(), s.proposals(), s.readIndexRequests());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception stoppedOrBusy) {
            return null; // reported as "not ready", and the raft gauges are left out of that scrape
        }
    }

    private static NodeMetrics.DiskView diskView(Path nodeDir) {
        long walBytes = 0;
        int snapshots = 0;
        long newestIndex = 0;
        long newestBytes = 0;
        for (Path f : list(nodeDir.resolve("wal"))) walBytes += size(f);
        for (Path f : list(nodeDir.resolve("snapshots"))) {
            String name = f.getFileName().toString();
            if (!name.startsWith("snapshot-") || !name.endsWith(".snap")) continue;
            snapshots++;
            long index = Long.parseLong(name.substring("snapshot-".length(), "snapshot-".length() + 20));
            if (index >= newestIndex) {
                newestIndex = index;
                newestBytes = size(f);
            }
        }
        long dataBytes = 0;
        try (Stream<Path> files = Files.walk(nodeDir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) dataBytes += size(f);
        } catch (IOException | java.io.UncheckedIOException e) {
            dataBytes = walBytes + newestBytes; // a file vanished mid-walk: the main parts will do
        }
        return new NodeMetrics.DiskView(walBytes, snapshots, newestIndex, newestBytes, dataBytes);
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        } catch (IOException e) {
            return List.of(); // not made yet
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return 0; // deleted meanwhile: a compacted segment, a replaced snapshot
        }
    }

    /** {@code source}, asked again only once its last answer is older than {@code maxAgeMs}. */
    private static <T> Supplier<T> cached(long maxAgeMs, Supplier<T> source) {
        return new Supplier<>() {
            private T value;
            private long at = Long.MIN_VALUE;

            @Override
            public synchronized T get() {
                long now = System.nanoTime();
                if (at == Long.MIN_VALUE || now - at > TimeUnit.MILLISECONDS.toNanos(maxAgeMs)) {
                    value = source.get();
                    at = now;
                }
                return value;
            }
        };
    }
}
