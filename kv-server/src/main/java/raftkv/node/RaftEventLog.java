package raftkv.node;

import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.raft.Message;
import raftkv.raft.RaftCore;
import raftkv.raft.SoftState;
import raftkv.raft.StepResult;

/**
 * What a node says in its log about Raft's events: role changes, and peer messages the core
 * refused, at most one ERROR line per sender and interval (the rest at DEBUG), so that a peer that
 * keeps sending such messages cannot flood the log. Node thread only.
 */
final class RaftEventLog {
    private static final Logger log = LoggerFactory.getLogger(NodeStep.class);
    private static final long REFUSAL_LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final long id;
    // When a refusal of each sender's message was last logged at ERROR (clock nanos); senders are
    // the cluster's members and those who claim to be, so the map stays small.
    private final Map<Long, Long> lastRefusalLogged = new HashMap<>();

    RaftEventLog(long id) {
        this.id = id;
    }

    void refused(Message m, StepResult.Refused r, long nowNanos) {
        Long last = lastRefusalLogged.get(r.from());
        if (last == null || nowNanos - last >= REFUSAL_LOG_INTERVAL_NANOS) {
            lastRefusalLogged.put(r.from(), nowNanos);
            log.error("node {}: refused {} from node {}: {}", id, m.getClass().getSimpleName(), r.from(), r.reason());
        } else {
            log.debug("node {}: refused {} from node {}: {}", id, m.getClass().getSimpleName(), r.from(), r.reason());
        }
    }

    void roleChanged(SoftState s) {
        switch (s.role()) {
            case LEADER -> log.info("node {}: became leader in term {}", id, s.term());
            case CANDIDATE -> log.info("node {}: election timeout, campaigning in term {}", id, s.term());
            case PRE_CANDIDATE -> log.info("node {}: election timeout, pre-vote for term {}", id, s.term() + 1);
            case FOLLOWER -> {
                if (s.leader() == RaftCore.NONE) log.info("node {}: follower in term {}, no leader known", id, s.term());
                else log.info("node {}: follower in term {}, leader is {}", id, s.term(), s.leader());
            }
        }
    }
}
