package raftkv.node;

import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.raft.Membership;
import raftkv.raft.Role;

/**
 * What a node does as the membership in force changes, for {@link NodeStep} (its thread only): tells
 * a listener (peer links, addresses), says so in the log when the node is removed, and, while the
 * node is outside the membership with no leader contacting it (removed, or not yet added), sends
 * client commands to the voters in turn ({@link KvService} asks them who leads).
 */
final class MembershipWatch {
    private static final Logger log = LoggerFactory.getLogger(MembershipWatch.class);

    private final long id;
    private Consumer<Membership> listener = m -> { };
    // The membership at the last Ready; null before the first.
    private Membership known;
    private long voterTurn;
    // Whether the commands pending here were let go after this node left the membership.
    private boolean letGo;

    MembershipWatch(long id) {
        this.id = id;
    }

    void listener(Consumer<Membership> listener) {
        this.listener = listener;
    }

    /** After each Ready is persisted, before its messages go out: a new membership reaches the listener. */
    void notice(Membership m) {
        if (m.equals(known)) return;
        boolean wasMember = known == null || known.contains(id);
        known = m;
        log.info("node {}: membership {}", id, m);
        if (wasMember && !m.contains(id)) {
            log.warn("node {}: removed from the cluster: it no longer takes part in elections or quorums", id);
        }
        listener.accept(m);
    }

    /**
     * Whether client commands go to {@link #nextVoter} instead: outside the membership. No leader
     * contacts such a node, so the leader its core still names (the one that removed it) is stale
     * and may since have died or been removed itself; the voters, in turn, are asked instead.
     */
    boolean redirects(Membership m) {
        return !m.contains(id) && m.equals(known);
    }

    /**
     * True once after a leader that removed itself stepped down (the change committed): no leader
     * sends it entries any more, so what it proposed meanwhile may commit under the next leader only,
     * and the commands pending here must be let go (outcome unknown; reads go elsewhere).
     */
    boolean shouldLetGo(Membership m, Role role) {
        if (m.contains(id)) {
            letGo = false;
            return false;
        }
        if (letGo || role == Role.LEADER) return false;
        letGo = true;
        return true;
    }

    /** The voters in turn. */
    long nextVoter(Membership m) {
        List<Long> voters = List.copyOf(m.voters());
        return voters.get((int) (voterTurn++ % voters.size()));
    }
}
