package raftkv.jepsen;

import java.util.Objects;

/**
 * How an operation ended, as the client saw it. {@link Fail} means certainly not applied (a
 * malformed command, {@code ERR_CMD_ERR}); {@link Info} means unknown (a timeout, a lost
 * connection, {@code ERR_TIMEOUT}, gRPC {@code UNAVAILABLE}): a write may have taken effect at any
 * time after its invocation, or never, and a read observed nothing.
 */
public sealed interface Outcome {
    /** A write applied: set or cas, with the version (Raft log index) it got. */
    record Ok(long version) implements Outcome {
        public Ok {
            if (version <= 0) throw new IllegalArgumentException("versions are positive: " + version);
        }
    }

    /** A read found the key. {@code version} is 0 when the reply does not show it (text {@code get}). */
    record Value(String value, long version) implements Outcome {
        public Value {
            Objects.requireNonNull(value, "value");
            if (version < 0) throw new IllegalArgumentException("negative version " + version);
        }
    }

    /** get/getm/cas/delete of an absent key ({@code ERR_NOT_FOUND}, gRPC {@code NOT_FOUND}). */
    record NotFound() implements Outcome {}

    /** cas whose expected version was not the key's version ({@code ERR_VERSION}, {@code FAILED_PRECONDITION}). */
    record VersionMismatch() implements Outcome {}

    /** delete removed the key. */
    record Deleted() implements Outcome {}

    /** Certainly not applied; the reply tells nothing about the register. */
    record Fail(String error) implements Outcome {
        public Fail {
            Objects.requireNonNull(error, "error");
        }
    }

    /** Indeterminate: no reply, or one that leaves the outcome unknown. */
    record Info(String error) implements Outcome {
        public Info {
            Objects.requireNonNull(error, "error");
        }
    }

    /** Whether this outcome can answer {@code call} (a get cannot be answered with a version mismatch). */
    static boolean fits(Call call, Outcome outcome) {
        if (outcome instanceof Fail || outcome instanceof Info) return true;
        if (call instanceof Call.Set) return outcome instanceof Ok;
        if (call instanceof Call.Get || call instanceof Call.GetM) return outcome instanceof Value || outcome instanceof NotFound;
        if (call instanceof Call.Cas) return outcome instanceof Ok || outcome instanceof VersionMismatch || outcome instanceof NotFound;
        return outcome instanceof Deleted || outcome instanceof NotFound;
    }

    /** Human-readable, e.g. {@code ok @17}, {@code "v3"@17}, {@code not-found}, {@code info (ERR_TIMEOUT)}. */
    default String describe() {
        if (this instanceof Ok ok) return "ok @" + ok.version();
        if (this instanceof Value v) return quote(v.value()) + (v.version() == 0 ? "" : "@" + v.version());
        if (this instanceof NotFound) return "not-found";
        if (this instanceof VersionMismatch) return "version-mismatch";
        if (this instanceof Deleted) return "deleted";
        if (this instanceof Fail f) return "fail (" + f.error() + ")";
        return "info (" + ((Info) this).error() + ")";
    }

    /** A value in double quotes, control characters escaped, cut to 40 characters. */
    static String quote(String value) {
        StringBuilder b = new StringBuilder("\"");
        int limit = Math.min(value.length(), 40);
        for (int i = 0; i < limit; i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        if (value.length() > limit) b.append("...(").append(value.length()).append(" chars)");
        return b.append('"').toString();
    }
}
