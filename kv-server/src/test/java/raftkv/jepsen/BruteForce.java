package raftkv.jepsen;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A slow, independent oracle for tiny one-key histories: tries every order of the determinate
 * operations and every subset of the info writes, giving each info write that takes effect a
 * concrete version (one the history mentions but no acknowledged write got, or the lowest unused
 * one above the last: any other unmentioned version would only be higher), and checks the result
 * against a plain register of (value, version) whose positive integer versions strictly grow. It
 * shares no code with the checker's model or search.
 */
final class BruteForce {
    private final List<Op> ops = new ArrayList<>();
    private final Set<Long> mentioned = new TreeSet<>();
    private final Set<Long> acked = new TreeSet<>();

    private BruteForce(List<Op> history) {
        for (Op op : history) {
            if (op.isFail() || (op.isInfo() && !op.call().isWrite())) continue;
            ops.add(op);
            if (op.call() instanceof Call.Cas c) mentioned.add(c.expectedVersion());
            if (op.outcome() instanceof Outcome.Value v && v.version() > 0) mentioned.add(v.version());
            if (op.outcome() instanceof Outcome.Ok ok) acked.add(ok.version());
        }
        mentioned.removeAll(acked);
    }

    static boolean linearizable(List<Op> history) {
        BruteForce b = new BruteForce(history);
        return b.search(new boolean[b.ops.size()], false, null, 0, 0);
    }

    /** {@code value} null with present false: absent. {@code top}: the highest version so far (0: none). */
    private boolean search(boolean[] done, boolean present, String value, long version, long top) {
        boolean allDeterminate = true;
        for (int i = 0; i < ops.size(); i++) {
            if (!done[i] && !ops.get(i).isInfo()) allDeterminate = false;
        }
        if (allDeterminate) return true;
        for (int i = 0; i < ops.size(); i++) {
            if (done[i] || !minimal(done, i)) continue;
            Op op = ops.get(i);
            done[i] = true;
            boolean found = op.isInfo() ? tryInfo(done, op, present, value, version, top) : tryDeterminate(done, op, present, value, version, top);
            done[i] = false;
            if (found) return true;
        }
        return false;
    }

    /** No operation left undone completed before {@code i} was invoked (info ops never complete). */
    private boolean minimal(boolean[] done, int i) {
        for (int j = 0; j < ops.size(); j++) {
            if (!done[j] && j != i && !ops.get(j).isInfo() && ops.get(j).complete() < ops.get(i).invoke()) return false;
        }
        return true;
    }

    private boolean tryDeterminate(boolean[] done, Op op, boolean present, String value, long version, long top) {
        Call call = op.call();
        Outcome out = op.outcome();
        if (out instanceof Outcome.NotFound) return !present && search(done, present, value, version, top);
        if (out instanceof Outcome.Value v) {
            boolean ok = present && value.equals(v.value()) && (v.version() == 0 || v.version() == version);
            return ok && search(done, present, value, version, top);
        }
        if (out instanceof Outcome.VersionMismatch) {
            return present && version != ((Call.Cas) call).expectedVersion() && search(done, present, value, version, top);
        }
        if (out instanceof Outcome.Deleted) return present && search(done, false, null, 0, top);
        long w = ((Outcome.Ok) out).version();
        if (w <= top) return false;
        if (call instanceof Call.Set s) return search(done, true, s.value(), w, w);
        Call.Cas c = (Call.Cas) call;
        return present && version == c.expectedVersion() && search(done, true, c.value(), w, w);
    }

    private boolean tryInfo(boolean[] done, Op op, boolean present, String value, long version, long top) {
        if (op.call() instanceof Call.Delete) return present && search(done, false, null, 0, top);
        String written;
        if (op.call() instanceof Call.Cas c) {
            if (!present || version != c.expectedVersion()) return false;
            written = c.value();
        } else {
            written = ((Call.Set) op.call()).value();
        }
        List<Long> choices = new ArrayList<>();
        long fresh = top + 1;
        while (mentioned.contains(fresh) || acked.contains(fresh)) fresh++;
        choices.add(fresh);
        for (long v : mentioned) {
            if (v > top) choices.add(v);
        }
        for (long u : choices) {
            if (search(done, true, written, u, u)) return true;
        }
        return false;
    }
}
