package raftkv.node;

/**
 * The node's time: monotonic nanoseconds (request deadlines, retries, and the log's time that
 * entries are stamped with, see {@link LogClock}). There is no wall clock here on purpose: no
 * deadline of the store depends on one, so a wall-clock step changes none (SPEC 11). One clock is
 * injected into the node step, the service and the forwarder, so that they never compare times
 * taken from different sources, and so that tests and the simulator run them on a clock they
 * control.
 */
@FunctionalInterface
public interface Clock {
    long nanos();

    Clock SYSTEM = System::nanoTime;
}
