package raftkv.jepsen;

import java.util.Objects;

/**
 * One operation of a history: a client ({@code process}) invoked {@code call} at {@code invoke}
 * and saw {@code outcome} at {@code complete}. Times are in nanoseconds on one monotonic clock
 * (or any logical clock shared by all clients); only their order matters. Operation A precedes B
 * in real time iff {@code A.complete < B.invoke}: equal times count as concurrent, so a tie can
 * never make the checker report a violation.
 *
 * <p>An {@link Outcome.Info} operation has no completion bound: the checker ignores its
 * {@code complete}, which is kept only for display ({@link #NEVER} if it never completed).
 */
public record Op(long id, int process, Call call, Outcome outcome, long invoke, long complete) {
    /** {@code complete} of an operation still pending when the history ended. */
    public static final long NEVER = Long.MAX_VALUE;

    public Op {
        Objects.requireNonNull(call, "call");
        Objects.requireNonNull(outcome, "outcome");
        if (!Outcome.fits(call, outcome)) {
            throw new IllegalArgumentException("op " + id + ": " + call.verb() + " cannot end in " + outcome.describe());
        }
        if (complete < invoke) {
            throw new IllegalArgumentException("op " + id + " completes at " + complete + " before its invocation at " + invoke);
        }
        if (complete == NEVER && !(outcome instanceof Outcome.Info)) {
            throw new IllegalArgumentException("op " + id + " never completed, so its outcome must be info");
        }
    }

    public String key() {
        return call.key();
    }

    public boolean isInfo() {
        return outcome instanceof Outcome.Info;
    }

    public boolean isFail() {
        return outcome instanceof Outcome.Fail;
    }

    /** The version an acknowledged set or cas got, else 0. */
    public long writtenVersion() {
        return outcome instanceof Outcome.Ok ok ? ok.version() : 0;
    }

    /** e.g. {@code #12 p3 set k1 "v7" -> ok @17}. */
    public String describe() {
        return "#" + id + " p" + process + " " + call.describe() + " -> " + outcome.describe();
    }

    @Override
    public String toString() {
        return describe() + " [" + invoke + ", " + (complete == NEVER ? "never" : complete) + "]";
    }
}
