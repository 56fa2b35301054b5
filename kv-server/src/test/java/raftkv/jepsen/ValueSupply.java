package raftkv.jepsen;

import java.util.ArrayList;
import java.util.List;
import raftkv.jepsen.RegisterModel.Kind;
import raftkv.jepsen.RegisterModel.State;
import raftkv.jepsen.RegisterModel.Step;

/**
 * A dead end the search can see early: a read still to be placed returns a value that the
 * register does not hold and that no write left (determinate, or info not yet applied) can
 * produce. Without this, the search would find out only when that read's completion forces it,
 * after exploring everything in between.
 *
 * <p>Counts, per value id, the reads not yet placed and the writes not yet placed or applied.
 * A value is starved when it has reads left and no writes left.
 */
final class ValueSupply {
    private final int[] reads;
    private final int[] writes;
    // Invariant: starved = number of values with reads > 0 and writes == 0; starvedXor = XOR of their ids.
    private int starved;
    private int starvedXor;

    ValueSupply(KeyHistory h) {
        reads = new int[h.values.size()];
        writes = new int[h.values.size()];
        for (Step s : h.dStep) count(s, +1);
        for (Step s : h.iStep) count(s, +1);
        for (int v = 0; v < reads.length; v++) {
            if (isStarved(v)) {
                starved++;
                starvedXor ^= v;
            }
        }
    }

    /** Whether any continuation from {@code s} is doomed: a starved value the register does not hold. */
    boolean doomed(State s) {
        return starved > 1 || (starved == 1 && !(s.present() && s.value() == starvedXor));
    }

    /** The starved values the register in {@code s} does not hold (for explanations: scans every value). */
    List<Integer> starvedValues(State s) {
        List<Integer> out = new ArrayList<>();
        for (int v = 0; v < reads.length; v++) {
            if (isStarved(v) && !(s.present() && s.value() == v)) out.add(v);
        }
        return out;
    }

    /** {@code step} was placed (or applied). */
    void placed(Step step) {
        update(step, -1);
    }

    /** {@code step} was taken back. */
    void unplaced(Step step) {
        update(step, +1);
    }

    private void update(Step step, int delta) {
        int v = step.value();
        if (v < 0) return;
        boolean before = isStarved(v);
        count(step, delta);
        boolean after = isStarved(v);
        if (before != after) {
            starved += after ? 1 : -1;
            starvedXor ^= v;
        }
    }

    private void count(Step s, int delta) {
        if (s.value() < 0) return;
        if (s.kind() == Kind.READ) reads[s.value()] += delta;
        else if (s.kind() == Kind.SET || s.kind() == Kind.CAS || s.kind() == Kind.SET_INFO || s.kind() == Kind.CAS_INFO) writes[s.value()] += delta;
    }

    private boolean isStarved(int v) {
        return reads[v] > 0 && writes[v] == 0;
    }
}
