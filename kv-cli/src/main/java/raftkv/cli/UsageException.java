package raftkv.cli;

/**
 * A mistake in what the user asked for that picocli cannot see while parsing (no endpoints to
 * be found, a file that cannot be read, a bad key): exit code 2, like picocli's own parameter errors.
 */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
