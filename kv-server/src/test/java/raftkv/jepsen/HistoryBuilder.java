package raftkv.jepsen;

import java.util.ArrayList;
import java.util.List;

/**
 * Hand-made histories for tests, with logical times: {@code h.op(1, 0, 10).set("k", "a").ok(5)}
 * is process 1 setting k to "a" between times 0 and 10, acknowledged with version 5.
 * {@code h.op(p, t)} is an operation that never completed (so its outcome must be info).
 */
final class HistoryBuilder {
    private final List<Op> ops = new ArrayList<>();

    Invocation op(int process, long invoke, long complete) {
        return new Invocation(process, invoke, complete);
    }

    Invocation op(int process, long invoke) {
        return new Invocation(process, invoke, Op.NEVER);
    }

    List<Op> ops() {
        return List.copyOf(ops);
    }

    final class Invocation {
        private final int process;
        private final long invoke;
        private final long complete;

        private Invocation(int process, long invoke, long complete) {
            this.process = process;
            this.invoke = invoke;
            this.complete = complete;
        }

        Completion set(String key, String value) {
            return new Completion(this, new Call.Set(key, value));
        }

        Completion get(String key) {
            return new Completion(this, new Call.Get(key));
        }

        Completion getm(String key) {
            return new Completion(this, new Call.GetM(key));
        }

        Completion cas(String key, long expectedVersion, String value) {
            return new Completion(this, new Call.Cas(key, expectedVersion, value));
        }

        Completion delete(String key) {
            return new Completion(this, new Call.Delete(key));
        }
    }

    final class Completion {
        private final Invocation inv;
        private final Call call;

        private Completion(Invocation inv, Call call) {
            this.inv = inv;
            this.call = call;
        }

        Op end(Outcome outcome) {
            Op op = new Op(ops.size() + 1, inv.process, call, outcome, inv.invoke, inv.complete);
            ops.add(op);
            return op;
        }

        Op ok(long version) {
            return end(new Outcome.Ok(version));
        }

        /** A read's value; version 0 if the reply shows none (text get). */
        Op value(String value, long version) {
            return end(new Outcome.Value(value, version));
        }

        Op value(String value) {
            return value(value, 0);
        }

        Op notFound() {
            return end(new Outcome.NotFound());
        }

        Op mismatch() {
            return end(new Outcome.VersionMismatch());
        }

        Op deleted() {
            return end(new Outcome.Deleted());
        }

        Op fail() {
            return end(new Outcome.Fail("ERR_CMD_ERR"));
        }

        Op info() {
            return end(new Outcome.Info("ERR_TIMEOUT"));
        }
    }
}
