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
 * <p>It also lists the ids of the nodes removed from the cluster: a removed id is retired for
 * good, as etcd never reuses a member id. A node of that id started again with an empty data folder
 * would remember neither its log nor its votes, yet a stale node that missed the removal still counts
 * it in its old configuration: its votes and acknowledgements could then elect a leader that lacks
 * committed entries, or commit entries beside the real cluster's. A replacement machine joins under
 * a new id.
 *
 * <p>Immutable. Its voters and learners are worked out once, as the core asks for them on every
 * election and quorum change.
 */
public final class Membership {
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

    private final SortedMap<Long, Member> members;
    private final SortedSet<Long> retired;
    private final SortedSet<Long> voters;
    private final SortedSet<Long> learners;

    /** @param members every member by id (copied); no id retired */
    public Membership(SortedMap<Long, Member> members) {
        this(members, Collections.emptySortedSet());
    }

    /**
     * @param members every member by id (copied)
     * @param retired the ids of nodes removed from the cluster, never members again (copied)
     */
    public Membership(SortedMap<Long, Member> members, SortedSet<Long> retired) {
        TreeSet<Long> v = new TreeSet<>();
        TreeSet<Long> l = new TreeSet<>();
        for (var e : members.entrySet()) {
            if (e.getKey() != e.getValue().id()) throw new IllegalArgumentException("member " + e.getValue() + " under id " + e.getKey());
            (e.getValue().voter() ? v : l).add(e.getKey());
        }
        this.members = Collections.unmodifiableSortedMap(new TreeMap<>(members));
        this.voters = Collections.unmodifiableSortedSet(v);
        this.learners = Collections.unmodifiableSortedSet(l);
        for (long id : retired) {
            if (members.containsKey(id)) throw new IllegalArgumentException("node " + id + " is both a member and retired");
        }
        this.retired = Collections.unmodifiableSortedSet(new TreeSet<>(retired));
    }

    /** Every member by id, iterated in ascending order. */
    public SortedMap<Long, Member> members() {
        return members;
    }

    /** Every node of {@code voters} a voter, with no address known. */
    public static Membership ofVoters(Iterable<Long> voters) {
        TreeMap<Long, Member> m = new TreeMap<>();
        for (long v : voters) m.put(v, new Member(v, true, null));
        return new Membership(m);
    }

    /** The voters' ids, ascending (unmodifiable). */
    public SortedSet<Long> voters() {
        return voters;
    }

    /** The learners' ids, ascending (unmodifiable). */
    public SortedSet<Long> learners() {
        return learners;
    }

    /** The ids of the nodes removed from the cluster, ascending (unmodifiable): never members again. */
    public SortedSet<Long> retired() {
        return retired;
    }

    public boolean isRetired(long id) {
        return retired.contains(id);
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
        return new Membership(next, retired);
    }

    /** This membership without node {@code id}, whose id is retired. */
    public Membership without(long id) {
        TreeMap<Long, Member> next = new TreeMap<>(members);
        next.remove(id);
        TreeSet<Long> gone = new TreeSet<>(retired);
        gone.add(id);
        return new Membership(next, gone);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Membership other && members.equals(other.members) && retired.equals(other.retired);
    }

    @Override
    public int hashCode() {
        return members.hashCode() * 31 + retired.hashCode();
    }

    /** Short form for logs and scenario output: {@code voters=[1, 2] learners=[4]}, then {@code retired=[3]} if any. */
    @Override
    public String toString() {
        return "voters=" + voters() + " learners=" + learners() + (retired.isEmpty() ? "" : " retired=" + retired);
    }
}
