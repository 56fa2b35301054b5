package raftkv.node;

import java.util.concurrent.CompletableFuture;

/**
 * Where {@link KvService} hands the commands it has validated: a running node ({@link RaftNode}),
 * or a node of the simulator.
 */
public interface CommandSink {
    /** This node's id. */
    long id();

    /** Hands a command to the node; the future never completes exceptionally. */
    CompletableFuture<NodeStep.Outcome> submit(KvRequest request, long deadlineNanos);

    /**
     * The leader this node knew of at its last Ready, or {@link raftkv.raft.RaftCore#NONE}; any
     * thread. A hint only: the leader it names may have stepped down since.
     */
    default long knownLeader() {
        return raftkv.raft.RaftCore.NONE;
    }
}
