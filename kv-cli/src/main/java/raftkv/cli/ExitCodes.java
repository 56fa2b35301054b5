package raftkv.cli;

import io.grpc.Status;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The one place that decides kvctl's exit codes (SPEC section 6) and prints its error line.
 * Every failure reaches the user as exactly one line on stderr, {@code kvctl: ...}.
 *
 * <pre>
 *   0  success
 *   1  key not found (get, getm, cas, delete)
 *   2  usage error: bad option or argument, bad key, unreadable --file, no endpoints, value too large
 *   3  version mismatch (cas)
 *   4  cluster unavailable or timed out (for a write: its outcome is unknown)
 *   5  anything else: an internal error in a node or in kvctl
 * </pre>
 */
public final class ExitCodes implements IExecutionExceptionHandler, IParameterExceptionHandler {
    public static final int OK = 0;
    public static final int NOT_FOUND = 1;
    public static final int USAGE = 2;
    public static final int VERSION_MISMATCH = 3;
    public static final int UNAVAILABLE = 4;
    public static final int INTERNAL = 5;

    /** The exit code of a gRPC status code. */
    public static int of(Status.Code code) {
        return switch (code) {
            case OK -> OK;
            case NOT_FOUND -> NOT_FOUND;
            case INVALID_ARGUMENT, OUT_OF_RANGE, RESOURCE_EXHAUSTED -> USAGE;
            case FAILED_PRECONDITION -> VERSION_MISMATCH;
            case UNAVAILABLE, DEADLINE_EXCEEDED -> UNAVAILABLE;
            default -> INTERNAL;
        };
    }

    /** The exit code of anything a command may throw. */
    public static int of(Throwable t) {
        if (t instanceof KvFailure f) return of(f.code());
        if (t instanceof UsageException || t instanceof ParameterException) return USAGE;
        return INTERNAL;
    }

    /** The error line's text, without the "kvctl: " prefix: always one line. */
    public static String message(Throwable t) {
        String m;
        if (t instanceof KvFailure || t instanceof UsageException || t instanceof ParameterException) {
            m = t.getMessage();
        } else {
            m = "internal error: " + t;
        }
        return oneLine(m == null ? t.getClass().getSimpleName() : m);
    }

    /** Prints the error line for a failed command and returns its exit code. */
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        err.println("kvctl: " + message(ex));
        err.flush();
        return of(ex);
    }

    /** picocli's parse errors: one line naming the mistake and where to find help, exit 2. */
    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("kvctl: " + message(ex) + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        err.flush();
        return USAGE;
    }

    static String oneLine(String s) {
        return s.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }
}
