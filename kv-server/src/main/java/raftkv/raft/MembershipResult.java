package raftkv.raft;

/** The outcome of {@link RaftCore#changeMembership}. */
public sealed interface MembershipResult {
    /** The change was appended at {@code index} in {@code term}; it took effect at once, and is done once committed. */
    record Accepted(long index, long term, Membership membership) implements MembershipResult {}

    /** This node is not the leader (or is handing leadership over); {@code leaderHint} may be {@link RaftCore#NONE}. */
    record NotLeader(long leaderHint) implements MembershipResult {}

    /** The leader refused the change, which changed nothing; {@code reason} says why, in one line. */
    record Refused(String reason) implements MembershipResult {}
}
