package raftkv.transport;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * FOR TESTS ONLY: which peers' Raft traffic a node pretends it cannot reach, so that a test can cut
 * a real cluster into partitions, symmetric or one-way. Installed in a {@link GrpcTransport} only
 * when the config says {@code "testFaultInjection": true}; a transport without one never consults
 * anything here.
 *
 * <p>Raft messages are requests whose answers come back on the same call or stream, so "outgoing"
 * means this node's requests (dropped in {@link GrpcTransport#send} as if lost) and "incoming" the
 * peers' requests (refused by {@link RaftPeerService}: a unary call with UNAVAILABLE, as a dead link
 * would fail it; a message on an Exchange stream dropped unread, as if lost).
 * Thread-safe; reads are lock-free, since the transport asks on every message.
 */
public final class PartitionHook {
    private final Set<Long> blockedOutgoing = ConcurrentHashMap.newKeySet();
    private final Set<Long> blockedIncoming = ConcurrentHashMap.newKeySet();
    private final AtomicLong refusedIncoming = new AtomicLong();

    /** Whether this node's requests to {@code peer} are dropped. */
    public boolean dropsOutgoing(long peer) {
        return blockedOutgoing.contains(peer);
    }

    /** Whether {@code peer}'s requests to this node are refused; counts the refusals. */
    public boolean refusesIncoming(long peer) {
        if (!blockedIncoming.contains(peer)) return false;
        refusedIncoming.incrementAndGet();
        return true;
    }

    /** How many requests {@link #refusesIncoming} has refused, for a test to wait on. */
    public long refusedIncoming() {
        return refusedIncoming.get();
    }

    /** Adds {@code peers} to the blocked sets of the chosen directions. */
    public void block(Collection<Long> peers, boolean outgoing, boolean incoming) {
        if (outgoing) blockedOutgoing.addAll(peers);
        if (incoming) blockedIncoming.addAll(peers);
    }

    /** Removes {@code peers} from the blocked sets of the chosen directions. */
    public void unblock(Collection<Long> peers, boolean outgoing, boolean incoming) {
        if (outgoing) blockedOutgoing.removeAll(peers);
        if (incoming) blockedIncoming.removeAll(peers);
    }

    /** Heals everything. */
    public void unblockAll() {
        blockedOutgoing.clear();
        blockedIncoming.clear();
    }

    /** Peers whose traffic from this node is dropped, in increasing order. */
    public List<Long> outgoing() {
        return blockedOutgoing.stream().sorted().toList();
    }

    /** Peers whose requests this node refuses, in increasing order. */
    public List<Long> incoming() {
        return blockedIncoming.stream().sorted().toList();
    }
}
