package raftkv.node;

import java.util.concurrent.CompletableFuture;
import raftkv.config.ServerSpec;

/** Sends a command to another node (the leader) and relays its answer. */
public interface Forwarder extends AutoCloseable {
    /**
     * Executes {@code request} on {@code leader} without letting it forward further. Never completes
     * exceptionally: a transport failure is {@link KvResult.Unavailable}.
     */
    CompletableFuture<KvResult> forward(ServerSpec leader, KvRequest request, long deadlineNanos);

    @Override
    void close();
}
