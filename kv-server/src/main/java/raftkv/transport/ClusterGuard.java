package raftkv.transport;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.AppendResponse;
import raftkv.proto.raft.InstallSnapshotResponse;
import raftkv.proto.raft.SnapshotHeader;
import raftkv.proto.raft.ReadIndexAck;
import raftkv.proto.raft.ReadIndexRequest;
import raftkv.proto.raft.ReadIndexResponse;
import raftkv.proto.raft.TimeoutNowRequest;
import raftkv.proto.raft.TimeoutNowResponse;
import raftkv.proto.raft.VoteRequest;
import raftkv.proto.raft.VoteResponse;

/**
 * The cluster id on every peer message (raft.proto's {@code cluster_id}): stamps it on what this
 * node sends and checks it on what it receives, so that a node never takes part in the Raft of a
 * cluster it was not configured for (a node pointed at the wrong addresses, a second cluster on
 * the same hosts). A foreign message is logged once per sender, not once per message: a
 * misconfigured node retries for ever. Thread-safe.
 */
final class ClusterGuard {
    private static final Logger log = LoggerFactory.getLogger(ClusterGuard.class);
    // Beyond this many distinct senders, further ones go to DEBUG: the ids come from the network.
    private static final int MAX_SENDERS_LOGGED = 1024;

    private final long selfId;
    // Fixed, except on a node joining for the first time, which takes the id of the first cluster
    // that contacts it (bindOnFirstContact).
    private volatile long clusterId;
    private volatile java.util.function.LongConsumer onBind;
    private final Set<Long> reported = ConcurrentHashMap.newKeySet();
    private final Consumer<String> report;

    /** @param clusterId this cluster's id; never 0, which means "missing" on the wire */
    ClusterGuard(long selfId, long clusterId) {
        this(selfId, clusterId, log::error);
    }

    /** @param report where the once-per-sender line goes (the log at ERROR; a list in tests) */
    ClusterGuard(long selfId, long clusterId, Consumer<String> report) {
        if (clusterId == 0) throw new IllegalArgumentException("a cluster id is never 0 (0 means missing)");
        this.selfId = selfId;
        this.clusterId = clusterId;
        this.report = report;
    }

    long clusterId() {
        return clusterId;
    }

    /**
     * True if {@code received} is this cluster's id. Otherwise logs, the first time for this
     * sender, that node {@code sender} (as it calls itself) belongs to another cluster.
     *
     * @param what   the message, for the log: "AppendEntries from", "the answer to RequestVote from"
     * @param sender the sender's id as the message or the link names it
     */
    boolean admits(long received, String what, long sender) {
        if (onBind != null && received != 0 && bind(received, sender)) return true;
        if (received == clusterId) return true;
        if (reported.size() < MAX_SENDERS_LOGGED && reported.add(sender)) {
            report.accept("node " + selfId + ": refusing " + what + " node " + sender + ": it carries cluster id "
                    + Long.toHexString(received) + (received == 0 ? " (missing)" : "") + ", this cluster's is "
                    + Long.toHexString(clusterId) + "; is that node configured for another cluster? (logged once per sender)");
        } else {
            log.debug("node {}: refusing {} node {}: cluster id {}", selfId, what, sender, Long.toHexString(received));
        }
        return false;
    }

    /**
     * A node started with --join and no cluster id of its own yet: the first peer message that
     * reaches it (from the leader that added it; with TLS only a certified node of this CA can
     * send one) gives the id, which is then kept for good; {@code onBind} persists it.
     */
    synchronized void bindOnFirstContact(java.util.function.LongConsumer onBind) {
        this.onBind = onBind;
    }

    private synchronized boolean bind(long received, long sender) {
        if (onBind == null) return received == clusterId;
        clusterId = received;
        java.util.function.LongConsumer persist = onBind;
        onBind = null;
        log.info("node {}: joined cluster {} on first contact from node {}", selfId, Long.toHexString(received), sender);
        persist.accept(received);
        return true;
    }

    /** The description a refused caller gets with PERMISSION_DENIED. */
    String refusal(long received) {
        return "cluster id " + Long.toHexString(received) + " is not this cluster's (" + Long.toHexString(clusterId) + ")";
    }

    VoteRequest stamp(VoteRequest p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }

    VoteResponse stamp(VoteResponse p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }

    AppendRequest stamp(AppendRequest p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }

    AppendResponse stamp(AppendResponse p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }

    SnapshotHeader stamp(SnapshotHeader p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }

    InstallSnapshotResponse stamp(InstallSnapshotResponse p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }

    TimeoutNowRequest stamp(TimeoutNowRequest p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }

    TimeoutNowResponse stamp(TimeoutNowResponse p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }

    ReadIndexRequest stamp(ReadIndexRequest p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }

    ReadIndexResponse stamp(ReadIndexResponse p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }

    ReadIndexAck stamp(ReadIndexAck p) {
        return p.toBuilder().setClusterId(clusterId).build();
    }
}
