package raftkv.cli;

import io.grpc.Status;

/**
 * A call the cluster answered with an error, or could not answer: the gRPC status code that
 * decides kvctl's exit code ({@link ExitCodes}) and a one-line message for the user.
 */
public final class KvFailure extends RuntimeException {
    private final Status.Code code;

    public KvFailure(Status.Code code, String message) {
        super(message);
        this.code = code;
    }

    public Status.Code code() {
        return code;
    }
}
