package raftkv.sim;

/** A broken Raft invariant found by the simulation. */
final class SafetyViolation extends RuntimeException {
    SafetyViolation(String message) {
        super(message);
    }
}
