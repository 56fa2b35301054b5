package raftkv.raft;

import java.util.List;

/**
 * Static configuration of one core. Times are in ticks: the node decides how long a tick is.
 *
 * @param id                  this node's id
 * @param voters              the initial membership of a brand-new cluster, all voters (this node
 *                            is not among them when it joins later); the log and snapshots hold
 *                            the membership from the first change on
 * @param electionTicks       base election timeout; each node randomises in [t, 2t)
 * @param heartbeatTicks      leader heartbeat interval; must be below electionTicks
 * @param preVote             run a pre-vote before a real election (thesis 9.6)
 * @param checkQuorum         a leader steps down when it has not heard from a majority within an
 *                            election timeout, and voters ignore elections while they hear from a leader
 * @param maxEntriesPerAppend most entries in one AppendEntries
 * @param maxBytesPerAppend   soft cap on the entry bytes in one AppendEntries (one entry always goes)
 * @param maxInflight         most AppendEntries in flight to one follower while replicating
 */
public record RaftConfig(long id, List<Long> voters, int electionTicks, int heartbeatTicks,
                         boolean preVote, boolean checkQuorum, int maxEntriesPerAppend,
                         long maxBytesPerAppend, int maxInflight) {
    public RaftConfig {
        voters = List.copyOf(voters.stream().sorted().distinct().toList());
        if (voters.isEmpty()) throw new IllegalArgumentException("voters must not be empty");
        if (voters.stream().anyMatch(v -> v < 0)) throw new IllegalArgumentException("node ids must be >= 0");
        if (heartbeatTicks < 1) throw new IllegalArgumentException("heartbeatTicks must be >= 1");
        if (electionTicks <= heartbeatTicks) throw new IllegalArgumentException("electionTicks must exceed heartbeatTicks");
        if (maxEntriesPerAppend < 1 || maxBytesPerAppend < 1 || maxInflight < 1) {
            throw new IllegalArgumentException("append limits must be >= 1");
        }
    }

    /** Defaults used by the node: pre-vote and check-quorum on, 10 ticks per election timeout. */
    public static RaftConfig of(long id, List<Long> voters, int electionTicks, int heartbeatTicks) {
        return new RaftConfig(id, voters, electionTicks, heartbeatTicks, true, true, 512, 1 << 20, 256);
    }
}
