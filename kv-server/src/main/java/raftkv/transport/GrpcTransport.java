package raftkv.transport;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import raftkv.proto.raft.AppendResponse;
import raftkv.proto.raft.PeerMessage;
import raftkv.proto.raft.RaftPeerGrpc.RaftPeerStub;
import raftkv.proto.raft.ReadIndexAck;
import raftkv.proto.raft.VoteResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.raft.Message;

/**
 * {@link Transport} over gRPC: one long-lived channel per peer, the Raft messages on one long-lived
 * {@code Exchange} stream to it ({@link PeerExchange}; or, with {@link Options#exchange} off or
 * for a peer that does not serve the stream, one unary call per message), and InstallSnapshot as a
 * stream of chunks.
 *
 * <p>Sending never blocks. An answer is decoded by {@link ProtoCodec} and handed to {@link
 * Inbound#onResponse}, while a message lost with its stream, or a failed call (peer down, deadline
 * passed), is dropped, since Raft retries. Each peer has a bound on the bytes waiting to be sent
 * (and, for unary calls, on the calls in flight), and a message over it is dropped, so a slow or
 * dead peer neither delays the others nor holds memory.
 * No thread is kept per peer: the callbacks run on gRPC's network threads. A peer that restarts
 * is reached again within about a second of the next send, however long it was down.
 *
 * <p>A {@link Message.SnapshotRequest} starts a transfer of the newest snapshot of the node's
 * {@link SnapshotSource} ({@link SnapshotSender}): at most one per peer at a time, resumed where
 * the follower stopped after a broken stream, reading the file a chunk at a time on a small pool
 * of the transport whose threads end when idle. The follower's final answer reaches {@link
 * Inbound#onResponse} as a {@link Message.SnapshotResponse}; a transfer given up delivers nothing.
 *
 * <p>Requests from peers arrive through {@link #peerService()}, which the node adds to its
 * {@link PeerServer}; snapshots streamed here reach {@link Inbound#onSnapshot}.
 */
public final class GrpcTransport implements Transport {
    /** Room for an entry's framing and the rest of an AppendRequest around the largest value. */
    public static final int FRAMING_BYTES = 64 * 1024;
    /**
     * The cluster id of transports built without one (tests): they all belong to one cluster. A
     * node gets its id from its config ({@code ClusterConfig.clusterId()}).
     */
    public static final long TEST_CLUSTER_ID = 0x7465737400000001L;

    /** How long {@link #close} waits for calls in flight before cancelling them. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

    /**
     * Tuning of the sending side.
     *
     * @param voteDeadline        deadline of RequestVote and TimeoutNow calls
     * @param appendDeadline      deadline of AppendEntries calls
     * @param maxOutstandingCalls most calls in flight to one peer
     * @param maxOutstandingBytes most encoded bytes in flight to one peer (one call alone may exceed it)
     * @param callListener        told the final status of every call (OK when answered), each
     *                            InstallSnapshot stream included, on the network threads or the
     *                            transport's snapshot pool; for metrics and tests, must not block
     * @param snapshotChunkBytes  most snapshot bytes per InstallSnapshot chunk; lowered to fit the
     *                            channel's message limit if need be
     * @param snapshotDeadline    deadline of a whole snapshot transfer, every stream of it included
     * @param snapshotStallTimeout a snapshot stream that cannot take a chunk for this long (or a
     *                            probe not answered within it) is cancelled and the transfer given up
     * @param exchange            send messages on one Exchange stream per peer (raft.proto) rather
     *                            than one unary call each; its bound is {@code maxOutstandingBytes}
     *                            waiting to be written, and its answers have no deadline (a peer
     *                            that stops answering is found by the channel's keepalive)
     */
    public record Options(Duration voteDeadline, Duration appendDeadline, int maxOutstandingCalls,
                          long maxOutstandingBytes, BiConsumer<Long, Status> callListener,
                          int snapshotChunkBytes, Duration snapshotDeadline, Duration snapshotStallTimeout,
                          boolean exchange) {
        public Options {
            for (Duration d : List.of(voteDeadline, appendDeadline, snapshotDeadline, snapshotStallTimeout)) {
                if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("deadlines and timeouts must be > 0");
            }
            if (maxOutstandingCalls < 1 || maxOutstandingBytes < 1) {
                throw new IllegalArgumentException("outstanding bounds must be >= 1");
            }
            if (snapshotChunkBytes < 1) throw new IllegalArgumentException("snapshotChunkBytes must be >= 1");
            Objects.requireNonNull(callListener, "callListener");
        }

        /**
         * 2 s for votes and TimeoutNow, 5 s for appends; per peer at most 256 calls and the larger
         * of 32 MiB and two messages of the largest size in flight. Snapshots in chunks of 1 MiB,
         * 10 min per transfer, given up after 30 s without progress. Messages on Exchange streams.
         */
        public static Options defaults(int maxMessageBytes) {
            return new Options(Duration.ofSeconds(2), Duration.ofSeconds(5), 256,
                    Math.max(32L << 20, 2L * maxMessageBytes), (peer, status) -> {},
                    1 << 20, Duration.ofMinutes(10), Duration.ofSeconds(30), true);
        }

        public Options withDeadlines(Duration vote, Duration append) {
            return new Options(vote, append, maxOutstandingCalls, maxOutstandingBytes, callListener,
                    snapshotChunkBytes, snapshotDeadline, snapshotStallTimeout, exchange);
        }

        public Options withOutstandingBounds(int calls, long bytes) {
            return new Options(voteDeadline, appendDeadline, calls, bytes, callListener,
                    snapshotChunkBytes, snapshotDeadline, snapshotStallTimeout, exchange);
        }

        public Options withCallListener(BiConsumer<Long, Status> listener) {
            return new Options(voteDeadline, appendDeadline, maxOutstandingCalls, maxOutstandingBytes, listener,
                    snapshotChunkBytes, snapshotDeadline, snapshotStallTimeout, exchange);
        }

        public Options withSnapshotTransfer(int chunkBytes, Duration deadline, Duration stallTimeout) {
            return new Options(voteDeadline, appendDeadline, maxOutstandingCalls, maxOutstandingBytes, callListener,
                    chunkBytes, deadline, stallTimeout, exchange);
        }

        /** With {@code exchange} false: one unary call per message, each with its deadline, within the call bound. */
        public Options withExchange(boolean on) {
            return new Options(voteDeadline, appendDeadline, maxOutstandingCalls, maxOutstandingBytes, callListener,
                    snapshotChunkBytes, snapshotDeadline, snapshotStallTimeout, on);
        }
    }

    /** Room in a chunk's message for everything but its data (the header travels alone). */
    static final int CHUNK_FRAMING_BYTES = 1024;
    /** Threads of the snapshot pool; each ends after this long idle. */
    private static final int SNAPSHOT_THREADS = 4;
    private static final Duration SNAPSHOT_THREAD_IDLE = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(GrpcTransport.class);

    private final long selfId;
    private final Options options;
    // One link per peer; peers come and go with membership changes (updatePeers, on the node's thread).
    private final Map<Long, PeerLink> links = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final int maxMessageBytes;
    private final ChannelCredentials credentials;
    private final RaftPeerService service;
    // File reads and writes of snapshot transfers, both ways, and their timers. No thread while idle.
    private final ScheduledThreadPoolExecutor snapshotPool;
    private final SnapshotSender.Env snapshotEnv;
    private final ClusterGuard cluster;
    // At most one transfer per peer; a transfer removes itself when it ends.
    private final Map<Long, SnapshotSender> transfers = new ConcurrentHashMap<>();
    // Null until start and again after close; answers arriving then are dropped.
    private volatile Inbound inbound;
    // Null unless a test config installed one (testFaultInjection); never consulted otherwise.
    private volatile PartitionHook partitionHook;
    private volatile boolean closed;

    /** The message size limit, for channels and servers alike, that fits a value of {@code maxValueBytes}. */
    public static int maxMessageBytes(int maxValueBytes) {
        if (maxValueBytes < 0) throw new IllegalArgumentException("maxValueBytes must be >= 0");
        return Math.addExact(maxValueBytes, FRAMING_BYTES);
    }

    /** With {@link Options#defaults} and {@link SnapshotSource#none()}. */
    public GrpcTransport(long selfId, Map<Long, String> peers, int maxMessageBytes) {
        this(selfId, peers, maxMessageBytes, Options.defaults(maxMessageBytes));
    }

    /** With {@link SnapshotSource#none()}: snapshots are neither sent nor received. */
    public GrpcTransport(long selfId, Map<Long, String> peers, int maxMessageBytes, Options options) {
        this(selfId, peers, maxMessageBytes, options, SnapshotSource.none());
    }

    /** With {@link #TEST_CLUSTER_ID}, which every transport built this way shares: for tests. */
    public GrpcTransport(long selfId, Map<Long, String> peers, int maxMessageBytes, Options options,
                         SnapshotSource snapshots) {
        this(selfId, peers, maxMessageBytes, options, snapshots, TEST_CLUSTER_ID);
    }

    /**
     * Creates one channel per peer; channels connect on first use.
     *
     * @param selfId          this node's id
     * @param peers           every other node: id to "host:port" of its LogPort
     * @param maxMessageBytes {@link #maxMessageBytes} of maxValueBytes: the largest message sent or accepted
     * @param snapshots       the snapshots this node sends, and where those it receives go
     * @param clusterId       this cluster's id, stamped on every message sent and required on every
     *                        message received (raft.proto's cluster_id); never 0
     */
    public GrpcTransport(long selfId, Map<Long, String> peers, int maxMessageBytes, Options options,
                         SnapshotSource snapshots, long clusterId) {
        this(selfId, peers, maxMessageBytes, options, snapshots, clusterId, InsecureChannelCredentials.create());
    }

    /**
     * As above, dialling peers with {@code credentials}: plaintext, or TLS with this node's own
     * certificate (SPEC section 8), snapshot streams included.
     */
    public GrpcTransport(long selfId, Map<Long, String> peers, int maxMessageBytes, Options options,
                         SnapshotSource snapshots, long clusterId, ChannelCredentials credentials) {
        if (maxMessageBytes <= 0) throw new IllegalArgumentException("maxMessageBytes must be > 0");
        if (peers.containsKey(selfId)) throw new IllegalArgumentException("peers must not include this node " + selfId);
        this.selfId = selfId;
        this.maxMessageBytes = maxMessageBytes;
        this.credentials = credentials;
        this.options = Objects.requireNonNull(options, "options");
        Objects.requireNonNull(snapshots, "snapshots");
        this.cluster = new ClusterGuard(selfId, clusterId);
        for (Map.Entry<Long, String> p : new TreeMap<>(peers).entrySet()) {
            links.put(p.getKey(), newLink(p.getKey(), p.getValue()));
        }
        this.snapshotPool = snapshotPool(selfId);
        // A live view: peers added later are admitted too.
        this.service = new RaftPeerService(selfId, java.util.Collections.unmodifiableSet(links.keySet()), snapshots,
                snapshotPool, cluster);
        List<Long> voters = new ArrayList<>(links.keySet());
        voters.add(selfId);
        voters.sort(null);
        int chunkBytes = Math.max(1, Math.min(options.snapshotChunkBytes(), maxMessageBytes - CHUNK_FRAMING_BYTES));
        this.snapshotEnv = new SnapshotSender.Env(selfId, List.copyOf(voters), snapshots, chunkBytes, options,
                snapshotPool, this::deliver, peer -> {
                    PartitionHook hook = partitionHook;
                    return hook != null && hook.dropsOutgoing(peer);
                }, () -> closed, new LogLimiter(Duration.ofSeconds(30)), cluster);
    }

    private static ScheduledThreadPoolExecutor snapshotPool(long selfId) {
        AtomicInteger count = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "raft-snapshot-" + selfId + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(SNAPSHOT_THREADS, threads);
        pool.setKeepAliveTime(SNAPSHOT_THREAD_IDLE.toNanos(), TimeUnit.NANOSECONDS);
        pool.allowCoreThreadTimeOut(true);
        pool.setRemoveOnCancelPolicy(true);
        pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return pool;
    }

    /** The server side, to add to this node's {@link PeerServer}; it refuses calls until {@link #start}. */
    public RaftPeerService peerService() {
        return service;
    }

    /**
     * FOR TESTS ONLY: from now on, requests to the peers the hook blocks are dropped and requests
     * from the peers it refuses are answered UNAVAILABLE. Called before {@link #start} by a node
     * whose config turns fault injection on; a transport in a normal config never has one.
     */
    public void installPartitionHook(PartitionHook hook) {
        this.partitionHook = Objects.requireNonNull(hook, "hook");
        service.installPartitionHook(hook);
    }

    /** The hook installed by {@link #installPartitionHook}, or null (always, in a normal config). */
    public PartitionHook partitionHook() {
        return partitionHook;
    }

    @Override
    public void start(Inbound inbound) {
        if (closed) throw new IllegalStateException("transport closed");
        this.inbound = Objects.requireNonNull(inbound, "inbound");
        service.start(inbound);
    }

    /**
     * Starts the call for {@code request} and returns at once. Throws only for a caller's bug: a
     * response instead of a request, a sender other than this node, an unknown peer, or a send
     * before {@link #start}. After {@link #close} messages are dropped.
     *
     * <p>A {@link Message.SnapshotRequest} starts a transfer of the newest local snapshot whose
     * index is at least the requested one (a newer committed snapshot serves as well), unless one
     * to that peer is running: then it is dropped. It is dropped too, with a WARN now and then,
     * when no local snapshot reaches the requested index.
     */
    @Override
    public void send(Message request) {
        if (!Message.isRequest(request) && !Message.isOneWay(request)) {
            throw new IllegalArgumentException("only requests are sent; answers go through the reply callback: " + request);
        }
        if (request.from() != selfId) throw new IllegalArgumentException("node " + selfId + " cannot send " + request);
        PeerLink link = links.get(request.to());
        if (link == null) {
            // A member whose address this node does not know (yet): as if the message were lost.
            log.debug("node {}: no link to node {}; {} dropped", selfId, request.to(), request.getClass().getSimpleName());
            return;
        }
        if (closed) {
            link.drop(request.getClass().getSimpleName(), "transport closed");
            return;
        }
        if (inbound == null) throw new IllegalStateException("send before start");
        PartitionHook hook = partitionHook;
        if (hook != null && hook.dropsOutgoing(request.to())) {
            link.drop(request.getClass().getSimpleName(), "blocked by the test fault hook");
            return;
        }
        long peer = link.peerId;
        if (link.exchanges()) {
            PeerMessage m = exchangeMessage(request);
            if (m != null) {
                link.exchange(request.getClass().getSimpleName(), m);
                return;
            }
        }
        // An answer from another cluster is dropped (decoded as null), as if it were lost.
        if (request instanceof Message.VoteRequest m) {
            link.call("RequestVote", cluster.stamp(ProtoCodec.toProto(m)), options.voteDeadline(), RaftPeerStub::requestVote,
                    r -> voteAnswer(r, peer));
        } else if (request instanceof Message.AppendRequest m) {
            link.call("AppendEntries", cluster.stamp(ProtoCodec.toProto(m)), options.appendDeadline(),
                    RaftPeerStub::appendEntries, r -> appendAnswer(r, peer));
        } else if (request instanceof Message.TimeoutNow m) {
            link.call("TimeoutNow", cluster.stamp(ProtoCodec.toProto(m)), options.voteDeadline(), RaftPeerStub::timeoutNow, r -> {
                if (cluster.admits(r.getClusterId(), "the answer to TimeoutNow from", peer)) {
                    ProtoCodec.fromProto(r); // validated; the core expects no answer
                }
                return null;
            });
        } else if (request instanceof Message.ReadIndexRequest m) {
            link.call("ReadIndex", cluster.stamp(ProtoCodec.toProto(m)), options.voteDeadline(), RaftPeerStub::readIndex,
                    r -> readIndexAck(r, "the answer to ReadIndex from", peer));
        } else if (request instanceof Message.ReadIndexResponse m) {
            link.call("ReadIndexReply", cluster.stamp(ProtoCodec.toProto(m)), options.voteDeadline(), RaftPeerStub::readIndexReply,
                    r -> readIndexAck(r, "the answer to ReadIndexReply from", peer));
        } else if (request instanceof Message.SnapshotRequest m) {
            SnapshotSender transfer = new SnapshotSender(snapshotEnv, link, m, done -> transfers.remove(peer, done));
            if (transfers.putIfAbsent(peer, transfer) != null) {
                link.drop("InstallSnapshot", "a snapshot transfer to the peer is running");
                return;
            }
            transfer.start();
        }
    }

    private PeerLink newLink(long peer, String target) {
        return new PeerLink(peer, checkTarget(peer, target), maxMessageBytes, options, this::deliver, credentials,
                options.exchange() ? answer -> exchangeAnswer(answer, peer) : null);
    }

    /** A message for the Exchange stream, stamped with the cluster id; null for a message that has no place there. */
    private PeerMessage exchangeMessage(Message m) {
        PeerMessage.Builder b = PeerMessage.newBuilder();
        if (m instanceof Message.VoteRequest v) b.setVoteRequest(cluster.stamp(ProtoCodec.toProto(v)));
        else if (m instanceof Message.AppendRequest a) b.setAppendRequest(cluster.stamp(ProtoCodec.toProto(a)));
        else if (m instanceof Message.TimeoutNow t) b.setTimeoutNow(cluster.stamp(ProtoCodec.toProto(t)));
        else if (m instanceof Message.ReadIndexRequest r) b.setReadIndex(cluster.stamp(ProtoCodec.toProto(r)));
        else if (m instanceof Message.ReadIndexResponse r) b.setReadIndexReply(cluster.stamp(ProtoCodec.toProto(r)));
        else return null;
        return b.build();
    }

    /** An answer on {@code peer}'s Exchange stream, decoded as its unary call's; null if from another cluster. */
    private Message exchangeAnswer(PeerMessage answer, long peer) {
        return switch (answer.getBodyCase()) {
            case VOTE_RESPONSE -> voteAnswer(answer.getVoteResponse(), peer);
            case APPEND_RESPONSE -> appendAnswer(answer.getAppendResponse(), peer);
            default -> throw new IllegalArgumentException("an Exchange stream answers with vote_response or append_response, not "
                    + answer.getBodyCase());
        };
    }

    /** {@code peer}'s answer to a vote request, for the core; null (dropped) if from another cluster. */
    private Message voteAnswer(VoteResponse r, long peer) {
        return cluster.admits(r.getClusterId(), "the answer to RequestVote from", peer) ? ProtoCodec.fromProto(r, peer, selfId) : null;
    }

    /** {@code peer}'s answer to an append, for the core; null (dropped) if from another cluster. */
    private Message appendAnswer(AppendResponse r, long peer) {
        return cluster.admits(r.getClusterId(), "the answer to AppendEntries from", peer) ? ProtoCodec.fromProto(r, peer, selfId) : null;
    }

    /** A one-way call's acknowledgement: validated, nothing for the core (an ack from another cluster is dropped). */
    private Message readIndexAck(ReadIndexAck r, String what, long peer) {
        if (cluster.admits(r.getClusterId(), what, peer)) ProtoCodec.fromProto(r);
        return null;
    }

    /**
     * Opens a link to each peer of {@code peers} (id to gRPC address) that has none, and closes the
     * links of peers no longer in it (a member removed). A peer whose address changed gets a new link.
     */
    public synchronized void updatePeers(Map<Long, String> peers) {
        if (closed) return;
        for (Map.Entry<Long, String> p : peers.entrySet()) {
            if (p.getKey() == selfId) continue;
            PeerLink old = links.get(p.getKey());
            if (old != null && old.target.equals(checkTarget(p.getKey(), p.getValue()))) continue;
            links.put(p.getKey(), newLink(p.getKey(), p.getValue()));
            if (old != null) old.shutdown();
            log.info("node {}: link to node {} at {}", selfId, p.getKey(), p.getValue());
        }
        for (Long id : List.copyOf(links.keySet())) {
            if (peers.containsKey(id)) continue;
            PeerLink gone = links.remove(id);
            if (gone != null) {
                gone.shutdown();
                log.info("node {}: closed the link to node {} (no longer a member)", selfId, id);
            }
        }
    }

    /** See {@link ClusterGuard#bindOnFirstContact}: for a node joining with no cluster id yet. Before {@link #start}. */
    public void bindClusterIdOnFirstContact(java.util.function.LongConsumer persist) {
        cluster.bindOnFirstContact(persist);
    }

    /** The counters of every peer link, in id order. */
    public List<PeerStats> allStats() {
        return links.values().stream().map(PeerLink::stats).toList();
    }

    /** The counters of one peer's link. */
    public PeerStats stats(long peerId) {
        PeerLink link = links.get(peerId);
        if (link == null) throw new IllegalArgumentException("node " + peerId + " is not a peer of node " + selfId);
        return link.stats();
    }

    /**
     * Stops serving peers' requests, deletes partial snapshots received, gives up snapshot
     * transfers, lets other calls in flight end for up to {@link #CLOSE_GRACE}, cancels the rest
     * and releases the channels. Idempotent.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        service.stop();
        inbound = null;
        transfers.values().forEach(SnapshotSender::abort);
        links.values().forEach(PeerLink::shutdown);
        long deadline = System.nanoTime() + CLOSE_GRACE.toNanos();
        try {
            for (PeerLink link : links.values()) {
                if (!link.awaitTermination(Math.max(0, deadline - System.nanoTime()))) link.shutdownNow();
            }
            for (PeerLink link : links.values()) link.awaitTermination(CLOSE_GRACE.toNanos());
            snapshotPool.shutdown();
            if (!snapshotPool.awaitTermination(CLOSE_GRACE.toNanos(), TimeUnit.NANOSECONDS)) snapshotPool.shutdownNow();
        } catch (InterruptedException e) {
            links.values().forEach(PeerLink::shutdownNow);
            snapshotPool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private void deliver(Message response) {
        Inbound in = inbound;
        if (in != null) in.onResponse(response);
    }

    private static String checkTarget(long peerId, String target) {
        int colon = target == null ? -1 : target.lastIndexOf(':');
        String what = "peer " + peerId + " address \"" + target + "\": ";
        if (colon <= 0) throw new IllegalArgumentException(what + "expected host:port");
        try {
            int port = Integer.parseInt(target.substring(colon + 1));
            if (port < 1 || port > 65535) throw new IllegalArgumentException(what + "port out of range 1-65535");
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + "port is not a number");
        }
        return target;
    }
}
