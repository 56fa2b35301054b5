package raftkv.config;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A whole cluster's config.json, validated. Built by {@link ConfigLoader}; the defaults of
 * the optional keys are the ones SPEC section 3 documents.
 *
 * @param dataDir  absolute; each node keeps its files in {@link #nodeDir(int)}
 * @param servers  sorted by id, ids distinct, never empty, immutable
 * @param walSegmentBytes the size at which the write-ahead log starts a new segment file; compaction
 *                 deletes whole segments, so a node's folder holds at most about one segment more
 *                 than the entries since its last snapshot
 * @param testFaultInjection for tests only: serve testing.proto's FaultInjection service (partitions,
 *                 leadership transfer) on the LogPort; false in every real deployment
 * @param clusterName the optional {@code clusterName} key, or null: names the cluster for
 *                 {@link #clusterId()} instead of its initial membership
 * @param limits   quotaBytes, maxSessions, maxConnections, textBufferBytes (SPEC section 11)
 * @param warnings one line per ignored unknown key, to be logged at start
 * @param tls      the {@code "tls"} section, or null: plaintext LogPort and ClientPort (SPEC section 8)
 */
public record ClusterConfig(
        Path dataDir,
        List<ServerSpec> servers,
        int heartbeatMs,
        int electionTimeoutMs,
        int requestTimeoutMs,
        int maxValueBytes,
        boolean fsync,
        int snapshotEntries,
        int walSegmentBytes,
        boolean forward,
        boolean testFaultInjection,
        String clusterName,
        Limits limits,
        List<String> warnings,
        TlsSettings tls) {

    public static final String DEFAULT_PATH = "data";
    public static final int DEFAULT_HEARTBEAT_MS = 100;
    public static final int DEFAULT_ELECTION_TIMEOUT_MS = 1000;
    public static final int DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
    public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;
    public static final boolean DEFAULT_FSYNC = true;
    public static final int DEFAULT_SNAPSHOT_ENTRIES = 100_000;
    public static final int DEFAULT_WAL_SEGMENT_BYTES = 64 << 20;
    /** Below this a segment would hold little more than its own header. */
    public static final int MIN_WAL_SEGMENT_BYTES = 64 << 10;
    public static final boolean DEFAULT_FORWARD = true;
    public static final boolean DEFAULT_TEST_FAULT_INJECTION = false;

    public ClusterConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(limits, "limits");
        servers = List.copyOf(servers.stream().sorted(Comparator.comparingInt(ServerSpec::id)).toList());
        warnings = List.copyOf(warnings);
        // Every node needs its own certificate to serve and dial over TLS; the loader names the field.
        if (tls != null && servers.stream().anyMatch(s -> s.certFile() == null)) {
            throw new IllegalArgumentException("with tls every server needs a CertFile and a KeyFile");
        }
        // server(id) and every node's view of its peers rely on these; the loader reports
        // them to the user with field names, so reaching here is a programming error.
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one server");
        }
        for (int i = 1; i < servers.size(); i++) {
            if (servers.get(i - 1).id() == servers.get(i).id()) {
                throw new IllegalArgumentException("duplicate server id " + servers.get(i).id());
            }
        }
    }

    /** The given servers with every optional key at its default and no warnings. */
    public static ClusterConfig withDefaults(Path dataDir, List<ServerSpec> servers) {
        return new ClusterConfig(dataDir, servers, DEFAULT_HEARTBEAT_MS, DEFAULT_ELECTION_TIMEOUT_MS,
                DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_MAX_VALUE_BYTES, DEFAULT_FSYNC,
                DEFAULT_SNAPSHOT_ENTRIES, DEFAULT_WAL_SEGMENT_BYTES, DEFAULT_FORWARD, DEFAULT_TEST_FAULT_INJECTION, null,
                Limits.DEFAULTS, List.of(), null);
    }

    /**
     * The id every peer message carries (raft.proto's {@code cluster_id}), so that a node never
     * takes part in another cluster's Raft: a node pointed at the wrong addresses, or a second
     * cluster on the same hosts. It is the first 8 bytes of the SHA-256 of {@code "name:" +
     * clusterName} when the key is set, else of the servers' {@code "Id@Hostname:LogPort"} in id
     * order joined by commas (the initial membership); never 0, which means "missing" on the wire.
     * Every node of a cluster must therefore start from the same {@code servers} (or the same
     * {@code clusterName}).
     */
    public long clusterId() {
        String identity = clusterName != null ? "name:" + clusterName
                : servers.stream().map(s -> s.id() + "@" + s.logAddress()).collect(Collectors.joining(","));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            long id = ByteBuffer.wrap(digest).getLong();
            return id == 0 ? 1 : id;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }

    }

    /** True when the config has a {@code "tls"} section. */
    public boolean tlsEnabled() {
        return tls != null;
    }

    /** The folder that holds node {@code id}'s log and snapshots. */
    public Path nodeDir(int id) {
        return dataDir.resolve("node-" + id);
    }

    /** The entry for {@code --id id}; a ConfigException naming the known ids if there is none. */
    public ServerSpec server(int id) {
        for (ServerSpec server : servers) {
            if (server.id() == id) {
                return server;
            }
        }
        String ids = servers.stream().map(s -> String.valueOf(s.id())).collect(Collectors.joining(", "));
        throw new ConfigException("unknown --id " + id + ": config has ids " + ids);
    }
}
