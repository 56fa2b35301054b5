package raftkv.node;

/**
 * The node's time: wall-clock milliseconds (entry timestamps, and so expiry) and monotonic
 * nanoseconds (request deadlines, retries). One clock is injected into the node step, the service
 * and the forwarder, so that they never compare times taken from different sources, and so that
 * the simulator runs them on simulated time.
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
