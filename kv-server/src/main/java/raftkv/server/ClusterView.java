package raftkv.server;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.Member;
import raftkv.proto.kv.MemberListResponse;

/**
 * The cluster as its running nodes know it, for {@code scripts/cluster}: membership lives in the log
 * (SPEC 9), so the config's {@code servers} may lack members added since (they come with the
 * addresses the log gave them) and may name nodes that are no longer members.
 *
 * @param nodes      every member, by id, then every server of the config that is not a member
 * @param voters     the voters, or the config's servers if no node answered
 * @param learners   the learners (empty if no node answered)
 * @param source     the node whose membership this is, or -1 if none answered (the config's servers then)
 * @param logIndex   the log index of the entry that set this membership (0: the initial one)
 */
record ClusterView(Map<Long, ServerSpec> nodes, SortedSet<Long> voters, SortedSet<Long> learners, long source,
                   long logIndex) {

    /**
     * Asks each server of the config, and then each member the answers name, for its membership
     * ({@code ask} returns null for a node that does not answer), and takes the newest: the highest
     * log index, a leader's answer first among equals.
     */
    static ClusterView of(ClusterConfig config, Function<ServerSpec, MemberListResponse> ask) {
        Map<Long, ServerSpec> known = new LinkedHashMap<>();
        for (ServerSpec s : config.servers()) known.put((long) s.id(), s);
        MemberListResponse best = null;
        List<Long> asked = new ArrayList<>();
        for (int i = 0; i < known.size(); i++) {
            long id = new ArrayList<>(known.keySet()).get(i);
            asked.add(id);
            MemberListResponse r = ask.apply(known.get(id));
            if (r == null) continue;
            if (best == null || r.getMembershipIndex() > best.getMembershipIndex()
                    || r.getMembershipIndex() == best.getMembershipIndex() && leads(r) && !leads(best)) {
                best = r;
            }
            // Members the config does not name are asked too (the config's own nodes may all be gone).
            for (Member m : r.getMembersList()) {
                ServerSpec spec = spec(config, m);
                if (spec != null) known.putIfAbsent(m.getId(), spec);
            }
        }
        if (best == null) {
            TreeSet<Long> voters = new TreeSet<>();
            Map<Long, ServerSpec> nodes = new LinkedHashMap<>();
            for (ServerSpec s : config.servers()) {
                voters.add((long) s.id());
                nodes.put((long) s.id(), s);
            }
            return new ClusterView(nodes, voters, Collections.emptySortedSet(), -1, 0);
        }
        TreeSet<Long> voters = new TreeSet<>();
        TreeSet<Long> learners = new TreeSet<>();
        Map<Long, ServerSpec> nodes = new LinkedHashMap<>();
        for (Member m : best.getMembersList()) {
            (m.getVoter() ? voters : learners).add(m.getId());
            ServerSpec spec = spec(config, m);
            if (spec == null) spec = known.get(m.getId());
            if (spec != null) nodes.put(m.getId(), spec);
        }
        for (ServerSpec s : config.servers()) nodes.putIfAbsent((long) s.id(), s);
        return new ClusterView(nodes, voters, learners, best.getNodeId(), best.getMembershipIndex());
    }

    private static boolean leads(MemberListResponse r) {
        return r.getLeaderKnown() && r.getLeaderId() == r.getNodeId();
    }

    /** Where member {@code m} is: the config's entry if it has one, else the addresses the log gave it. */
    private static ServerSpec spec(ClusterConfig config, Member m) {
        for (ServerSpec s : config.servers()) {
            if (s.id() == m.getId()) return s;
        }
        if (m.getClientAddress().isEmpty() || m.getPeerAddress().isEmpty()) return null;
        int clientColon = m.getClientAddress().lastIndexOf(':');
        int peerColon = m.getPeerAddress().lastIndexOf(':');
        String host = m.getPeerAddress().substring(0, peerColon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        return new ServerSpec((int) m.getId(), host, Integer.parseInt(m.getClientAddress().substring(clientColon + 1)),
                Integer.parseInt(m.getPeerAddress().substring(peerColon + 1)));
    }

    boolean member(long id) {
        return voters.contains(id) || learners.contains(id);
    }

    /** How many voters make a majority. */
    int quorum() {
        return voters.size() / 2 + 1;
    }

    /** Node {@code id}'s addresses, or null if neither the config nor the membership names it. */
    ServerSpec node(long id) {
        return nodes.get(id);
    }

    /** One line on where this membership comes from. */
    String describe() {
        if (source < 0) return "membership: no node answered; the config's servers";
        return "membership (node " + source + "'s, " + (logIndex == 0 ? "the initial one" : "from log entry " + logIndex)
                + "): voters " + voters + ", learners " + learners;
    }
}
