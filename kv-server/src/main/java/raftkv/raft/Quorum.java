package raftkv.raft;

import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Who must agree for the cluster to decide: the one place where majorities are counted (as in
 * etcd-io/raft's {@code quorum} package). A plain configuration is one {@link MajorityConfig}; while
 * membership changes (thesis 4.3, joint consensus) it is a {@link JointConfig} of two, and every
 * decision needs a majority of each.
 */
public sealed interface Quorum permits MajorityConfig, JointConfig {

    /**
     * The highest log index that a quorum has stored, given each voter's match index: the index
     * the leader may commit, if its entry is of the leader's term (Raft paper 5.3, 5.4.2).
     * {@code matchOf} is called once per voter and must answer for each.
     */
    long committedIndex(ToLongFunction<Long> matchOf);

    /**
     * The outcome of a tally: {@code voteOf} answers true (yes), false (no) or null (not heard
     * from yet) for each voter. Also serves for any yes/no poll of the voters: check-quorum's
     * "who was active", ReadIndex's "who acknowledged this round".
     */
    VoteResult voteResult(Function<Long, Boolean> voteOf);

    /** Outcome of a tally: decided either way, or still open. */
    enum VoteResult {
        WON, LOST, PENDING
    }
}
