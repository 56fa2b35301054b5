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
}
