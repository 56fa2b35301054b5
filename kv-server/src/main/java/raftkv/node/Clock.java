package raftkv.node;

/**
 * The node's time: monotonic nanoseconds (request deadlines, retries, and the log's time that
 * entries are stamped with, see {@link LogClock}) and wall-clock milliseconds. No deadline of the
 * store depends on the wall clock, so a wall-clock step changes none (SPEC 11); the node reads it
 * for nothing at all. One clock is injected into the node step, the service and the forwarder, so
 * that they never compare times taken from different sources, and so that tests and the simulator
 * run them on a clock they control.
 */
public interface Clock {
    long wallMillis();

    long nanos();

    Clock SYSTEM = new Clock() {
        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public long nanos() {
            return System.nanoTime();
        }
    };
}
