package raftkv.sim;

/**
 * The simulated state machine: one register whose value is the log index of the last write
 * applied (0 before any). Reads return it, so "not older than an acknowledged write" is a
 * comparison of indexes.
 */
record Register(long lastWriteIndex) {
    static final Register EMPTY = new Register(0);
}
