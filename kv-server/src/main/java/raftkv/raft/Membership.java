package raftkv.raft;

import java.util.Collections;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Who belongs to the cluster: voters, which elect leaders and make up every quorum, and learners,
 * which receive the log and snapshots but never vote, count toward a quorum or campaign.
 *
 * <p>A membership lives in the log (an {@link EntryType#CONFIG} entry holds a whole membership) and in
 * snapshots. A node uses the last one in its log, committed or not (thesis 4.1); with none, the one
 * of its snapshot, and with none either, the initial membership of a brand-new cluster.
 *
 * @param members every member by id, iterated in ascending order
 */
public record Membership(SortedMap<Long, Member> members) {
    /**
     * One member. {@code address} is opaque to Raft: where the node reaches the member, or null
     * when it comes from elsewhere (the initial members' addresses are in the node's config file).
     */
    public record Member(long id, boolean voter, Address address) {
        public Member {
            if (id < 0) throw new IllegalArgumentException("node ids must be >= 0, got " + id);
        }
    }

    /** A member's host, text protocol port and gRPC (log) port. */
    public record Address(String host, int clientPort, int logPort) {
        public Address {
            if (host == null || host.isEmpty() || host.length() > 255) throw new IllegalArgumentException("host must be 1-255 characters");
            if (clientPort < 1 || clientPort > 65535 || logPort < 1 || logPort > 65535) {
                throw new IllegalArgumentException("ports must be 1-65535, got " + clientPort + " and " + logPort);
            }
        }

        @Override
        public String toString() {
            return host + ":" + clientPort + "/" + logPort;
        }
    }

    public Membership {
        for (var e : members.entrySet()) {
            if (e.getKey() != e.getValue().id()) throw new IllegalArgumentException("member " + e.getValue() + " under id " + e.getKey());
        }
        members = Collections.unmodifiableSortedMap(new TreeMap<>(members));
    }

    /** Every node of {@code voters} a voter, with no address known. */
    public static Membership ofVoters(Iterable<Long> voters) {
        TreeMap<Long, Member> m = new TreeMap<>();
        for (long v : voters) m.put(v, new Member(v, true, null));
        return new Membership(m);
    }

    public SortedSet<Long> voters() {
        TreeSet<Long> out = new TreeSet<>();
        members.values().stream().filter(Member::voter).forEach(m -> out.add(m.id()));
        return out;
    }

    public SortedSet<Long> learners() {
        TreeSet<Long> out = new TreeSet<>();
        members.values().stream().filter(m -> !m.voter()).forEach(m -> out.add(m.id()));
        return out;
    }

    public boolean contains(long id) {
        return members.containsKey(id);
    }

    public boolean isVoter(long id) {
        Member m = members.get(id);
        return m != null && m.voter();
    }

    public boolean isLearner(long id) {
        Member m = members.get(id);
        return m != null && !m.voter();
    }

    /** This membership with {@code m} added or replacing the member of its id. */
    public Membership with(Member m) {
        TreeMap<Long, Member> next = new TreeMap<>(members);
        next.put(m.id(), m);
        return new Membership(next);
    }

    /** This membership without node {@code id}. */
    public Membership without(long id) {
        TreeMap<Long, Member> next = new TreeMap<>(members);
        next.remove(id);
        return new Membership(next);
    }

    /** Short form for logs and scenario output: {@code voters=[1, 2] learners=[4]}. */
    @Override
    public String toString() {
        return "voters=" + voters() + " learners=" + learners();
    }
}
