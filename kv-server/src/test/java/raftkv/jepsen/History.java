package raftkv.jepsen;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A thread-safe recorder of a history, for many client threads at once. A client calls
 * {@link #invoke} just before it sends a command and completes the returned {@link Pending} just
 * after the reply arrives (or when it gives up: {@link Pending#info}). Operations never completed
 * appear in {@link #ops()} as info, pending forever.
 */
public final class History {
    private final LongSupplier clock;
    private final AtomicLong nextId = new AtomicLong(1);
    // Invariant: an id is in exactly one of the two maps once invoke() has returned it.
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Map<Long, Op> completed = new ConcurrentHashMap<>();

    /** Times from {@link System#nanoTime()}. */
    public History() {
        this(System::nanoTime);
    }

    /** Times from {@code clock}, which must never go backwards (a shared AtomicLong counter will do). */
    public History(LongSupplier clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Records that {@code process} invokes {@code call} now. */
    public Pending invoke(int process, Call call) {
        Objects.requireNonNull(call, "call");
        long id = nextId.getAndIncrement();
        Pending p = new Pending(id, process, call, clock.getAsLong());
        pending.put(id, p);
        return p;
    }

    /** Every operation so far, by id (= invocation order); those still pending as info that never completed. */
    public List<Op> ops() {
        // Pending first, completed second: an op that completes meanwhile is then seen completed, and
        // one seen in neither was invoked after this call began.
        Map<Long, Op> byId = new TreeMap<>();
        for (Pending p : pending.values()) {
            Op done = completed.get(p.id);
            byId.put(p.id, done != null ? done : new Op(p.id, p.process, p.call, new Outcome.Info("pending"), p.invoke, Op.NEVER));
        }
        for (Op op : completed.values()) byId.put(op.id(), op);
        return new ArrayList<>(byId.values());
    }

    /** An invoked operation; complete it exactly once. */
    public final class Pending {
        private final long id;
        private final int process;
        private final Call call;
        private final long invoke;
        private final AtomicBoolean done = new AtomicBoolean();

        private Pending(long id, int process, Call call, long invoke) {
            this.id = id;
            this.process = process;
            this.call = call;
            this.invoke = invoke;
        }

        public Call call() {
            return call;
        }

        /** Ends the operation with {@code outcome}; throws if it fits not the call or the op already ended. */
        public Op complete(Outcome outcome) {
            long now = clock.getAsLong();
            Op op = new Op(id, process, call, outcome, invoke, Math.max(now, invoke));
            if (!done.compareAndSet(false, true)) throw new IllegalStateException("op " + id + " completed twice");
            completed.put(id, op);
            pending.remove(id);
            return op;
        }

        public Op ok(long version) {
            return complete(new Outcome.Ok(version));
        }

        public Op value(String value, long version) {
            return complete(new Outcome.Value(value, version));
        }

        public Op notFound() {
            return complete(new Outcome.NotFound());
        }

        public Op versionMismatch() {
            return complete(new Outcome.VersionMismatch());
        }

        public Op deleted() {
            return complete(new Outcome.Deleted());
        }

        /** Certainly not applied (e.g. {@code ERR_CMD_ERR}). */
        public Op fail(String error) {
            return complete(new Outcome.Fail(error));
        }

        /** Outcome unknown (timeout, lost connection, {@code ERR_TIMEOUT}, {@code UNAVAILABLE}). */
        public Op info(String error) {
            return complete(new Outcome.Info(error));
        }
    }
}
