package raftkv.transport;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in the order given, on a shared pool: what a snapshot transfer or an
 * incoming snapshot stream uses so that its state is touched by one thread at a time without a
 * thread of its own. A task that throws a RuntimeException is logged (it is a bug) and the next
 * one runs. Once the pool refuses work (it is shut down) tasks are dropped: only the transport's
 * close does that, and it has already queued whatever cleans up.
 */
final class SerialExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor pool;
    // Guarded by this. Invariant: running is true exactly while a drain is queued on or runs in the pool.
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean running;

    SerialExecutor(Executor pool) {
        this.pool = pool;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (this) {
            tasks.add(task);
            if (running) return;
            running = true;
        }
        try {
            pool.execute(this::drain);
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                tasks.clear();
                running = false;
            }
            log.debug("task dropped: the transport is closed");
        }
    }

    private void drain() {
        while (true) {
            Runnable task;
            synchronized (this) {
                task = tasks.poll();
                if (task == null) {
                    running = false;
                    return;
                }
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("snapshot transfer task failed", e);
            }
        }
    }
}
