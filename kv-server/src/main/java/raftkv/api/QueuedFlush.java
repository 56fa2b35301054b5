package raftkv.api;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * A flush that is queued on an executor at most once at a time: asking for it while it is queued
 * asks for nothing more, so whatever is added until it runs goes out with it. Used by both ends of
 * a Forward stream (forward.proto) to send many commands or replies per message.
 */
final class QueuedFlush {
    private final Executor executor;
    private final Runnable flush;
    private final Runnable onRejected;
    // Guarded by this.
    private boolean queued;

    /** @param onRejected run if the executor refuses the flush (it is shutting down); no flush is queued again */
    QueuedFlush(Executor executor, Runnable flush, Runnable onRejected) {
        this.executor = executor;
        this.flush = flush;
        this.onRejected = onRejected;
    }

    /** Queues the flush, unless it is queued already. */
    void request() {
        synchronized (this) {
            if (queued) return;
            queued = true;
        }
        try {
            executor.execute(() -> {
                synchronized (this) {
                    queued = false;
                }
                flush.run();
            });
        } catch (RejectedExecutionException e) {
            onRejected.run();
        }
    }
}
