package raftkv.node;

import java.util.concurrent.CompletableFuture;

/**
 * Where {@link KvService} hands the commands it has validated: a running node ({@link RaftNode}),
 * or a node of the simulator.
 */
public interface CommandSink {
    /** This node's id. */
    long id();

    /**
     * The leader this node last knew of, or {@link raftkv.raft.RaftCore#NONE} (the default: always
     * ask the node); read on any thread, it may lag the node. {@link KvService} forwards a write to
     * it without handing the write to the node first.
     */
    default long knownLeader() {
        return raftkv.raft.RaftCore.NONE;
    }

    /** Hands a command to the node; the future never completes exceptionally. */
    CompletableFuture<NodeStep.Outcome> submit(KvRequest request, long deadlineNanos);
}
