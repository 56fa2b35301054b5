package raftkv.node;

/** Runs a task later: a scheduled executor in a running node, simulated time in the simulator. */
@FunctionalInterface
public interface Timer {
    /** Runs {@code task} once, about {@code delayMillis} from now, on any thread. */
    void schedule(Runnable task, long delayMillis);
}
