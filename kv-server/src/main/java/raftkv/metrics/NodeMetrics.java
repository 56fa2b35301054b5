package raftkv.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.function.Supplier;
import raftkv.gateway.GatewayStats;
import raftkv.raft.Role;
import raftkv.transport.PeerStats;

/**
 * One node's metrics (SPEC 10), in a registry of its own (never the Prometheus client's global
 * one): the wiring in server/ passes this object, or the callbacks below, to the parts it
 * observes, so raft/ and kv/ stay free of metrics. Metric names start with {@code raftkv_}; the
 * JVM's are the client library's standard {@code jvm_*} set.
 */
public final class NodeMetrics {
    /** What the Raft loop reports when asked, or null when it did not answer in time. */
    public record RaftView(long term, Role role, long leader, long commitIndex, long appliedIndex, long lastIndex, int keys,
                           long proposals, long readIndexRequests) {}

    /** Sizes read off the data folder at scrape time. */
    public record DiskView(long walBytes, int snapshots, long newestSnapshotIndex, long newestSnapshotBytes, long dataBytes) {}

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram fsyncSeconds;
    private final Counter leaderChanges;
    private final Counter clientRequests;
    private final Histogram clientSeconds;
    private final Histogram snapshotSeconds;

    public NodeMetrics(Supplier<RaftView> raft, Supplier<DiskView> disk, Supplier<List<PeerStats>> peers,
                       Supplier<GatewayStats> gateway) {
        fsyncSeconds = Histogram.builder().name("raftkv_wal_fsync_seconds")
                .help("Time one fsync of the write-ahead log took")
                .classicOnly().classicExponentialUpperBounds(0.0001, 2, 16).withoutExemplars().register(registry);
        leaderChanges = Counter.builder().name("raftkv_raft_leader_changes_total")
                .help("Times the leader this node knows of changed (to another node or to none)")
                .withoutExemplars().register(registry);
        clientRequests = Counter.builder().name("raftkv_client_requests_total")
                .help("Client requests answered, by protocol, operation and outcome (gRPC status code)")
                .labelNames("protocol", "op", "outcome").withoutExemplars().register(registry);
        clientSeconds = Histogram.builder().name("raftkv_client_request_seconds")
                .help("Time from a client request's arrival to its answer, by protocol and operation")
                .labelNames("protocol", "op")
                .classicOnly().classicExponentialUpperBounds(0.0005, 2, 16).withoutExemplars().register(registry);

        raftGauge("raftkv_raft_term", "The node's current Raft term", raft, v -> v.term());
        raftGauge("raftkv_raft_commit_index", "Highest log index the node knows to be committed", raft, v -> v.commitIndex());
        raftGauge("raftkv_raft_applied_index", "Highest log index applied to the state machine", raft, v -> v.appliedIndex());
        raftGauge("raftkv_raft_last_index", "Highest index in the node's log", raft, v -> v.lastIndex());
        raftGauge("raftkv_raft_leader_id", "Id of the leader the node knows of, -1 if none", raft,
                v -> v.leader());
        raftGauge("raftkv_keys", "Keys in the state machine", raft, v -> v.keys());
        raftCounter("raftkv_raft_proposals", "Entries this node proposed as leader and appended (client writes, "
                + "expiry ticks), since it started", raft, v -> v.proposals());
        raftCounter("raftkv_raft_read_index", "ReadIndex reads this node started: as leader (each confirmed by a "
                + "quorum round before it is served) or as follower (each confirmed by the leader), since it started", raft, v -> v.readIndexRequests());
        snapshotSeconds = Histogram.builder().name("raftkv_snapshot_write_seconds")
                .help("Time writing one snapshot of the state machine to disk took (its count: snapshots written)")
                .classicOnly().classicExponentialUpperBounds(0.001, 2, 16).withoutExemplars().register(registry);
        GaugeWithCallback.builder().name("raftkv_raft_role").help("1 for the node's current Raft role")
                .labelNames("role")
                .callback(cb -> {
                    RaftView v = raft.get();
                    if (v == null) return;
                    for (Role r : Role.values()) cb.call(r == v.role() ? 1 : 0, r.name().toLowerCase(java.util.Locale.ROOT));
                }).register(registry);

        GaugeWithCallback.builder().name("raftkv_wal_bytes").help("Bytes in the write-ahead log's segment files")
                .callback(cb -> cb.call(disk.get().walBytes())).register(registry);
        GaugeWithCallback.builder().name("raftkv_data_bytes").help("Bytes of the files in the node's data folder")
                .callback(cb -> cb.call(disk.get().dataBytes())).register(registry);
        GaugeWithCallback.builder().name("raftkv_snapshot_files").help("Snapshot files in the data folder")
                .callback(cb -> cb.call(disk.get().snapshots())).register(registry);
        GaugeWithCallback.builder().name("raftkv_snapshot_index").help("Log index of the newest snapshot, 0 if none")
                .callback(cb -> cb.call(disk.get().newestSnapshotIndex())).register(registry);
        GaugeWithCallback.builder().name("raftkv_snapshot_bytes").help("Size of the newest snapshot file")
                .callback(cb -> cb.call(disk.get().newestSnapshotBytes())).register(registry);

        peerGauge("raftkv_peer_outstanding_calls", "Unary calls to the peer started and not yet ended (0 while messages go on the Exchange stream)",
                peers, s -> s.outstandingCalls());
        peerGauge("raftkv_peer_outstanding_bytes", "Encoded bytes of the calls outstanding to the peer", peers,
                s -> s.outstandingBytes());
        peerGauge("raftkv_peer_reachable", "1 if the last call to the peer reached it, else 0", peers,
                s -> s.reachable() ? 1 : 0);
        peerCounter("raftkv_peer_calls_sent", "Calls started to the peer, and messages sent on its Exchange stream", peers, s -> s.sent());
        peerCounter("raftkv_peer_calls_failed", "Calls to the peer, and Exchange streams, that ended in a gRPC error (unreachable, deadline)",
                peers, s -> s.failed());
        peerCounter("raftkv_peer_messages_dropped", "Messages to the peer never sent (queue full, closing)", peers,
                s -> s.dropped());
        peerCounter("raftkv_peer_snapshot_bytes_sent", "Snapshot bytes sent to the peer", peers, s -> s.snapshotBytes());
        peerCounter("raftkv_peer_bytes_sent", "Bytes sent to the peer: encoded Raft messages and snapshot chunks' data",
                peers, s -> s.messageBytes() + s.snapshotBytes());

        GaugeWithCallback.builder().name("raftkv_client_connections").help("Open client connections, by protocol")
                .labelNames("protocol")
                .callback(cb -> {
                    GatewayStats g = gateway.get();
                    if (g != null) cb.call(g.connections(), "text");
                }).register(registry);
        CounterWithCallback.builder().name("raftkv_text_commands").help("Commands the text gateway decoded")
                .callback(cb -> {
                    GatewayStats g = gateway.get();
                    if (g != null) cb.call(g.commands());
                }).register(registry);

        JvmMetrics.builder().register(registry);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** One fsync of the write-ahead log took {@code nanos}. */
    public void observeFsync(long nanos) {
        fsyncSeconds.observe(nanos / 1e9);
    }

    /** One snapshot was written to disk in {@code millis}. */
    public void snapshotWritten(long millis) {
        snapshotSeconds.observe(millis / 1e3);
    }

    /** The leader the node knows of changed. */
    public void leaderChanged() {
        leaderChanges.inc();
    }

    /** One client request, answered with {@code outcome} after {@code nanos}. */
    public void clientRequest(String protocol, String op, String outcome, long nanos) {
        clientRequests.labelValues(protocol, op, outcome).inc();
        clientSeconds.labelValues(protocol, op).observe(nanos / 1e9);
    }

    private void raftGauge(String name, String help, Supplier<RaftView> raft, java.util.function.ToDoubleFunction<RaftView> f) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> {
            RaftView v = raft.get();
            if (v != null) cb.call(f.applyAsDouble(v));
        }).register(registry);
    }

    private void raftCounter(String name, String help, Supplier<RaftView> raft, java.util.function.ToDoubleFunction<RaftView> f) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> {
            RaftView v = raft.get();
            if (v != null) cb.call(f.applyAsDouble(v));
        }).register(registry);
    }

    private void peerGauge(String name, String help, Supplier<List<PeerStats>> peers, java.util.function.ToDoubleFunction<PeerStats> f) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("peer").callback(cb -> {
            for (PeerStats s : peers.get()) cb.call(f.applyAsDouble(s), Long.toString(s.peerId()));
        }).register(registry);
    }

    private void peerCounter(String name, String help, Supplier<List<PeerStats>> peers, java.util.function.ToDoubleFunction<PeerStats> f) {
        CounterWithCallback.builder().name(name).help(help).labelNames("peer").callback(cb -> {
            for (PeerStats s : peers.get()) cb.call(f.applyAsDouble(s), Long.toString(s.peerId()));
        }).register(registry);
    }
}
