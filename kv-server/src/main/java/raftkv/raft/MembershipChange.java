package raftkv.raft;

/**
 * One membership change, proposed to the leader with {@link RaftCore#changeMembership}. Each
 * changes the voters by at most one (thesis 4.1), so any majority of the old voters and any
 * majority of the new ones share a node.
 */
public sealed interface MembershipChange {
    long id();

    /** Adds a node that receives the log but does not vote. */
    record AddLearner(long id, Membership.Address address) implements MembershipChange {}

    /** Adds a voter directly (prefer a learner, then {@link Promote}: a new voter's empty log slows commits). */
    record AddVoter(long id, Membership.Address address) implements MembershipChange {}

    /** Makes a learner that has caught up with the leader a voter. */
    record Promote(long id) implements MembershipChange {}

    /** Removes a voter (the leader included) or a learner. */
    record Remove(long id) implements MembershipChange {}
}
