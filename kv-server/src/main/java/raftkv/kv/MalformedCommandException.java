package raftkv.kv;

/**
 * A log entry's payload is not a command this node can read. The log is corrupt, or was written
 * by a newer version: the node must stop applying, never skip the entry, or its replica would
 * silently diverge from the others.
 */
public final class MalformedCommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MalformedCommandException(String message) {
        super(message);
    }

    public MalformedCommandException(String message, Throwable cause) {
        super(message, cause);
    }
}
