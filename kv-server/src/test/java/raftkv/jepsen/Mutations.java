package raftkv.jepsen;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Changes a linearizable history (from {@link RandomHistories}; all but {@link #swapVersions}
 * need every value unique) so that it certainly is not linearizable any more. Each returns empty
 * if the history has nothing the mutation applies to.
 */
final class Mutations {
    /** The history with one op replaced, and that op. */
    record Mutated(List<Op> history, Op op) {}

    private Mutations() {}

    /** A read returns a value nobody wrote. */
    static Optional<Mutated> valueNeverWritten(List<Op> h, SplittableRandom rnd) {
        List<Op> reads = h.stream().filter(Mutations::determinateRead).toList();
        if (reads.isEmpty()) return Optional.empty();
        Op r = reads.get(rnd.nextInt(reads.size()));
        return Optional.of(replace(h, r, new Outcome.Value("never-written", 0)));
    }

    /**
     * A read returns the value of acknowledged write W0 although an acknowledged write W1 of the
     * same key with a higher version completed before the read began: W1 follows W0 (versions grow)
     * and precedes the read, and only W0 ever wrote that value.
     */
    static Optional<Mutated> staleRead(List<Op> h, SplittableRandom rnd) {
        List<Op> reads = h.stream().filter(Mutations::determinateRead).toList();
        for (int attempt = 0; attempt < 200 && !reads.isEmpty(); attempt++) {
            Op r = reads.get(rnd.nextInt(reads.size()));
            Op newest = null; // the acknowledged write of r's key with the highest version completed before r began
            for (Op w : h) {
                if (w.writtenVersion() > 0 && w.key().equals(r.key()) && w.complete() < r.invoke()
                        && (newest == null || w.writtenVersion() > newest.writtenVersion())) newest = w;
            }
            if (newest == null) continue;
            List<Op> older = new ArrayList<>();
            for (Op w : h) {
                if (w.writtenVersion() > 0 && w.key().equals(r.key()) && w.writtenVersion() < newest.writtenVersion()) older.add(w);
            }
            if (older.isEmpty()) continue;
            Op w0 = older.get(rnd.nextInt(older.size()));
            long shown = r.call() instanceof Call.GetM ? w0.writtenVersion() : 0;
            return Optional.of(replace(h, r, new Outcome.Value(written(w0), shown)));
        }
        return Optional.empty();
    }

    /** A getm shows the value of an acknowledged write with another version than the write got. */
    static Optional<Mutated> wrongVersion(List<Op> h, SplittableRandom rnd) {
        List<Op> reads = new ArrayList<>();
        for (Op r : h) {
            if (determinateRead(r) && r.outcome() instanceof Outcome.Value v && v.version() > 0
                    && h.stream().anyMatch(w -> w.writtenVersion() == v.version())) reads.add(r);
        }
        if (reads.isEmpty()) return Optional.empty();
        Op r = reads.get(rnd.nextInt(reads.size()));
        Outcome.Value v = (Outcome.Value) r.outcome();
        return Optional.of(replace(h, r, new Outcome.Value(v.value(), v.version() + 1 + rnd.nextInt(3))));
    }

    /**
     * Two acknowledged writes of one key, the first completed before the second began, swap
     * versions (and every read and cas that shows one of them follows): the later write now has
     * the lower version, though versions grow along any linearization. Reads stay consistent with
     * the writes, so only the search can find this; values need not be unique.
     */
    static Optional<Mutated> swapVersions(List<Op> h, SplittableRandom rnd) {
        List<Op> writes = h.stream().filter(w -> w.writtenVersion() > 0).toList();
        for (int attempt = 0; attempt < 200 && !writes.isEmpty(); attempt++) {
            Op later = writes.get(rnd.nextInt(writes.size()));
            List<Op> earlier = writes.stream().filter(w -> w.key().equals(later.key()) && w.complete() < later.invoke()).toList();
            if (earlier.isEmpty()) continue;
            long a = earlier.get(rnd.nextInt(earlier.size())).writtenVersion();
            long b = later.writtenVersion();
            List<Op> out = new ArrayList<>(h.size());
            for (Op op : h) out.add(swap(op, a, b));
            return Optional.of(new Mutated(out, swap(later, a, b)));
        }
        return Optional.empty();
    }

    private static Op swap(Op op, long a, long b) {
        Call call = op.call();
        if (call instanceof Call.Cas c && (c.expectedVersion() == a || c.expectedVersion() == b)) {
            call = new Call.Cas(c.key(), c.expectedVersion() == a ? b : a, c.value());
        }
        Outcome out = op.outcome();
        if (out instanceof Outcome.Ok ok && (ok.version() == a || ok.version() == b)) out = new Outcome.Ok(ok.version() == a ? b : a);
        if (out instanceof Outcome.Value v && (v.version() == a || v.version() == b)) out = new Outcome.Value(v.value(), v.version() == a ? b : a);
        return new Op(op.id(), op.process(), call, out, op.invoke(), op.complete());
    }

    private static boolean determinateRead(Op op) {
        return (op.call() instanceof Call.Get || op.call() instanceof Call.GetM) && !op.isInfo() && !op.isFail();
    }

    private static String written(Op w) {
        return w.call() instanceof Call.Set s ? s.value() : ((Call.Cas) w.call()).value();
    }

    private static Mutated replace(List<Op> h, Op old, Outcome outcome) {
        Op changed = new Op(old.id(), old.process(), old.call(), outcome, old.invoke(), old.complete());
        List<Op> out = new ArrayList<>(h);
        out.set(h.indexOf(old), changed);
        return new Mutated(out, changed);
    }
}
