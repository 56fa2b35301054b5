package raftkv.node;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import raftkv.config.ServerSpec;
import raftkv.raft.Membership;

/**
 * Where each node of the cluster can be reached: the config file's servers, plus the members that
 * membership changes added, whose addresses travel in the log (the log wins where both name a node).
 * Updated by the node's thread whenever the membership in force changes; read by any thread
 * (forwarding, leader hints, redirects, the transport's links).
 */
public final class MemberAddresses {
    private final Map<Long, ServerSpec> configured = new TreeMap<>();
    // Immutable snapshots, replaced whole.
    private volatile Map<Long, ServerSpec> book;
    private volatile Membership membership;

    public MemberAddresses(List<ServerSpec> servers, Membership initial) {
        for (ServerSpec s : servers) configured.put((long) s.id(), s);
        update(initial);
    }

    /** The address of node {@code id}, or null if neither the config nor the membership names one. */
    public ServerSpec spec(long id) {
        return book.get(id);
    }

    /** Every node with a known address, by id. */
    public Map<Long, ServerSpec> all() {
        return book;
    }

    /** The membership these addresses were last updated from. */
    public Membership membership() {
        return membership;
    }

    /**
     * Takes the addresses of {@code m}'s members; forgets those of nodes that only a membership
     * change had named and that are no longer members. Returns whether any address changed.
     */
    public synchronized boolean update(Membership m) {
        Map<Long, ServerSpec> next = new TreeMap<>(configured);
        for (Membership.Member member : m.members().values()) {
            Membership.Address a = member.address();
            if (a != null) next.put(member.id(), new ServerSpec((int) member.id(), a.host(), a.clientPort(), a.logPort()));
        }
        boolean changed = !next.equals(book);
        book = Collections.unmodifiableMap(next);
        membership = m;
        return changed;
    }
}
