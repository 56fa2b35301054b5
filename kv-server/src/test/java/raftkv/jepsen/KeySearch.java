package raftkv.jepsen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import raftkv.jepsen.RegisterModel.State;
import raftkv.jepsen.RegisterModel.Step;
import raftkv.jepsen.Violation.Candidate;

/**
 * Checks one key's operations against {@link RegisterModel}: the Wing–Gong depth-first search
 * with Lowe's "just-in-time" linearization and memoization.
 *
 * <p>Every determinate operation must be linearized, between its invocation and its completion.
 * At any point the candidates to come next are those invoked no later than the earliest
 * completion among the determinate ones not yet linearized. An info write has no completion: it is
 * a candidate from its invocation on, and the search succeeds as soon as every determinate
 * operation is placed, whatever info writes are left (those never took effect).
 *
 * <p>Pruning, each of which keeps the search complete (it finds a linearization iff one exists):
 * <ul>
 *   <li>Memoization: a configuration is (determinate ops placed, info writes applied per class,
 *       register). It is skipped if one visited before has the same determinate set and register
 *       value and version, no more info writes applied in any class (so as many still available)
 *       and a {@code next} no higher (RegisterModel.State): that one can do all this one can.
 *   <li>A determinate operation that is legal now and leaves the register unchanged (a read that
 *       pins nothing) is placed at once, with no alternatives: any linearization that places it
 *       later stays valid with it moved here.
 *   <li>Of the available info writes of one class ({@link KeyHistory}) only the first is tried.
 *   <li>A configuration where a read left returns a value nobody can write any more, or where
 *       versions have passed what an operation left needs, is a dead end at once
 *       ({@link ValueSupply}, {@link Deadlines}).
 *   <li>An info write must be of use to what follows it: right after one, a write that was legal
 *       just before it is not tried (it would erase its effect; that write alone, without the
 *       info write, leaves as good a state, and is tried from the configuration before).
 *   <li>Determinate candidates are tried before info writes, so info writes take effect only
 *       when something needs them; this finds linearizations sooner, and prunes nothing.
 * </ul>
 */
final class KeySearch {
    private final KeyHistory h;
    private final Budget.Clock budget;
    private final int n;
    private final int m;

    // Dancing links through sentinel n (resp. m): determinate ops not yet placed, by invocation and
    // by completion; info writes not applied, by invocation. Lift and unlift in LIFO order.
    private final int[] cNext, cPrev, rNext, rPrev, iNext, iPrev;
    private final long[] placed;
    private final long[] zobrist;
    private long placedHash;
    private int left;
    private final int[] applied; // per info class
    private final int[] classStamp;
    private final ValueSupply supply;
    private final Deadlines deadlines;
    private final Violation unexplained;
    private int stamp;

    private final Map<Config, List<Seen>> seen = new HashMap<>();
    private long configurations;
    private long steps;

    // The deepest configuration reached (most determinate ops placed), for the explanation. Going
    // deeper only adds placed ops, so when the search first backs out after a new record, the
    // stack is the path to it: copying it then, not at each record, keeps this linear.
    private int bestPlaced = -1;
    private boolean recordPending;
    private int[] bestVia = new int[0];
    private State bestState;

    KeySearch(KeyHistory h, Budget.Clock budget) {
        this.h = h;
        this.budget = budget;
        n = h.dOp.length;
        m = h.iOp.length;
        cNext = new int[n + 1];
        cPrev = new int[n + 1];
        rNext = new int[n + 1];
        rPrev = new int[n + 1];
        iNext = new int[m + 1];
        iPrev = new int[m + 1];
        link(cNext, cPrev, h.byInvocation());
        link(rNext, rPrev, h.byCompletion);
        int[] infos = new int[m];
        Arrays.setAll(infos, j -> j);
        link(iNext, iPrev, infos);
        placed = new long[(n + 63) / 64];
        zobrist = new SplittableRandom(0x5eedL).longs(n).toArray();
        left = n;
        applied = new int[h.classes];
        classStamp = new int[h.classes];
        supply = new ValueSupply(h);
        deadlines = new Deadlines(h);
        unexplained = h.unexplainedRead();
    }

    /** A circular list through the sentinel (the last slot) in the given order. */
    private static void link(int[] next, int[] prev, int[] order) {
        int sentinel = next.length - 1;
        int last = sentinel;
        for (int x : order) {
            next[last] = x;
            prev[x] = last;
            last = x;
        }
        next[last] = sentinel;
        prev[sentinel] = last;
    }

    KeyResult run() {
        long began = System.nanoTime();
        Verdict verdict;
        try {
            verdict = search();
        } catch (OutOfMemoryError e) {
            // the memo is nearly all this search holds: drop it, and report what we know
            seen.clear();
            verdict = Verdict.UNKNOWN;
        }
        KeyResult.Stats stats = new KeyResult.Stats(n + m + h.ignored, n, m, h.ignored, steps, configurations, System.nanoTime() - began);
        Violation violation = verdict != Verdict.NOT_LINEARIZABLE ? null
                : unexplained != null ? unexplained : violation();
        return new KeyResult(h.key, verdict, stats, violation);
    }

    // A candidate code c >= 0 is determinate op c; c < 0 is info write -c - 1.
    private Verdict search() {
        if (n == 0) return Verdict.LINEARIZABLE;
        if (unexplained != null) return Verdict.NOT_LINEARIZABLE;
        int maxDepth = n + m + 1;
        State[] states = new State[maxDepth];
        int[] via = new int[maxDepth];
        int[][] cands = new int[maxDepth][];
        int[] pos = new int[maxDepth];
        int depth = 0;
        states[0] = RegisterModel.INITIAL;
        cands[0] = candidates(states[0], null);
        remember(states[0]);
        bestPlaced = 0;
        recordPending = true;
        while (true) {
            if ((++steps & 1023) == 0 && budget.exhausted(steps)) return Verdict.UNKNOWN;
            if (pos[depth] == cands[depth].length) {
                if (recordPending) noteProgress(depth, states, via);
                if (depth == 0) return Verdict.NOT_LINEARIZABLE;
                unlift(via[depth]);
                depth--;
                continue;
            }
            int code = cands[depth][pos[depth]++];
            State next = RegisterModel.apply(states[depth], step(code));
            if (next == null) continue;
            lift(code);
            if (left == 0) return Verdict.LINEARIZABLE;
            if (supply.doomed(next) || deadlines.doomed(next) || !remember(next)) {
                unlift(code);
                continue;
            }
            depth++;
            states[depth] = next;
            via[depth] = code;
            cands[depth] = candidates(next, code < 0 ? states[depth - 1] : null);
            pos[depth] = 0;
            if (n - left > bestPlaced) {
                bestPlaced = n - left;
                recordPending = true;
            }
        }
    }

    private Step step(int code) {
        return code >= 0 ? h.dStep[code] : h.iStep[-code - 1];
    }

    private Op op(int code) {
        return code >= 0 ? h.dOp[code] : h.iOp[-code - 1];
    }

    /** The completion of the first determinate op left to complete: nothing invoked after it may come next. */
    private long horizon() {
        return h.dComplete[rNext[n]];
    }

    /**
     * What may come next in {@code s}: the determinate ops not placed and invoked by the horizon
     * (just one, if one of them is legal and changes nothing), then the first available info write
     * of each class. If {@code s} is the state an info write just produced from {@code beforeInfo},
     * not the writes that were legal in {@code beforeInfo} already: they would erase the info
     * write's effect, and the search tries them without it (which leaves as good a state).
     */
    private int[] candidates(State s, State beforeInfo) {
        long horizon = horizon();
        int count = 0;
        for (int i = cNext[n]; i != n && h.dInvoke[i] <= horizon; i = cNext[i]) {
            if (RegisterModel.apply(s, h.dStep[i]) == s) return new int[] {i};
            count++;
        }
        int[] out = new int[count + Math.min(h.classes, m)];
        int k = 0;
        for (int i = cNext[n]; i != n && h.dInvoke[i] <= horizon; i = cNext[i]) out[k++] = i;
        stamp++;
        for (int j = iNext[m]; j != m && h.iInvoke[j] <= horizon; j = iNext[j]) {
            int c = h.iClass[j];
            if (classStamp[c] == stamp) continue;
            classStamp[c] = stamp;
            out[k++] = -j - 1;
        }
        if (beforeInfo != null) {
            int kept = 0;
            for (int x = 0; x < k; x++) {
                Step y = step(out[x]);
                if (!(RegisterModel.overwrites(y) && RegisterModel.apply(beforeInfo, y) != null)) out[kept++] = out[x];
            }
            k = kept;
        }
        return k == out.length ? out : Arrays.copyOf(out, k);
    }

    private void lift(int code) {
        supply.placed(step(code));
        if (code >= 0) {
            deadlines.placed(code);
            cNext[cPrev[code]] = cNext[code];
            cPrev[cNext[code]] = cPrev[code];
            rNext[rPrev[code]] = rNext[code];
            rPrev[rNext[code]] = rPrev[code];
            placed[code >>> 6] |= 1L << code;
            placedHash ^= zobrist[code];
            left--;
        } else {
            int j = -code - 1;
            iNext[iPrev[j]] = iNext[j];
            iPrev[iNext[j]] = iPrev[j];
            applied[h.iClass[j]]++;
        }
    }

    private void unlift(int code) {
        supply.unplaced(step(code));
        if (code >= 0) {
            deadlines.unplaced(code);
            cNext[cPrev[code]] = code;
            cPrev[cNext[code]] = code;
            rNext[rPrev[code]] = code;
            rPrev[rNext[code]] = code;
            placed[code >>> 6] &= ~(1L << code);
            placedHash ^= zobrist[code];
            left++;
        } else {
            int j = -code - 1;
            iNext[iPrev[j]] = j;
            iPrev[iNext[j]] = j;
            applied[h.iClass[j]]--;
        }
    }

    /** Records the current configuration, in state {@code s}; false if one visited before covers it. */
    private boolean remember(State s) {
        Config probe = new Config(placed, placedHash, s.present(), s.value(), s.version(), s.excluded());
        List<Seen> list = seen.get(probe);
        if (list == null) {
            list = new ArrayList<>(1);
            seen.put(new Config(placed.clone(), placedHash, s.present(), s.value(), s.version(), s.excluded()), list);
        } else {
            for (Seen old : list) {
                if (old.next <= s.next() && atMost(old.applied, applied, s.next())) return false;
            }
            // entries this one covers can go: whatever they would prune, this one prunes
            list.removeIf(old -> s.next() <= old.next && atMost(applied, old.applied, old.next));
        }
        list.add(new Seen(s.next(), applied.clone()));
        configurations++;
        return true;
    }

    /** Whether {@code a} applied no more than {@code b} in every class still alive at {@code next}. */
    private boolean atMost(int[] a, int[] b, long next) {
        for (int c = 0; c < a.length; c++) {
            if (a[c] > b[c] && next <= h.classExpiry[c]) return false;
        }
        return true;
    }

    /** Keeps the path to the deepest configuration, taken when the search first backs out of it. */
    private void noteProgress(int depth, State[] states, int[] via) {
        recordPending = false;
        bestVia = Arrays.copyOfRange(via, 1, depth + 1);
        bestState = states[depth];
    }

    /**
     * The window at the deepest configuration reached: its prefix, and each operation that could
     * have come next with the reason it could not. Call with nothing lifted (after the search).
     */
    private Violation violation() {
        List<Op> prefix = new ArrayList<>();
        for (int code : bestVia) {
            lift(code);
            prefix.add(op(code));
        }
        long horizon = horizon();
        List<Candidate> concurrent = new ArrayList<>();
        List<Integer> starvedReads = new ArrayList<>();
        for (int i = cNext[n]; i != n && h.dInvoke[i] <= horizon; i = cNext[i]) concurrent.add(new Candidate(h.dOp[i], whyNot(i, starvedReads)));
        for (int j = iNext[m]; j != m && h.iInvoke[j] <= horizon; j = iNext[j]) concurrent.add(new Candidate(h.iOp[j], whyNot(-j - 1, starvedReads)));
        for (int r : starvedReads) {
            Op read = h.dOp[r];
            concurrent.add(new Candidate(read, "comes later, and nothing left could then write the value it returns"));
        }
        Op blocking = h.dOp[rNext[n]];
        for (int k = bestVia.length - 1; k >= 0; k--) unlift(bestVia[k]);
        return new Violation(h.key, "no operation can be linearized next: each is illegal here, or every continuation after it fails",
                prefix, RegisterModel.describe(bestState, h.values), blocking, concurrent);
    }

    /** Why the op of {@code code} cannot come next in the best configuration; null if it can but leads nowhere. */
    private String whyNot(int code, List<Integer> starvedReads) {
        String why = RegisterModel.whyNot(bestState, step(code), h.values);
        if (why != null) return why;
        State after = RegisterModel.apply(bestState, step(code));
        lift(code);
        try {
            if (!supply.doomed(after)) return null;
            for (int v : supply.starvedValues(after)) {
                for (int r : h.readsOf(v)) {
                    if ((placed[r >>> 6] & (1L << r)) == 0) {
                        if (!starvedReads.contains(r)) starvedReads.add(r);
                        return "then nothing left could write " + Outcome.quote(h.values.get(v)) + ", which #" + h.dOp[r].id() + " still has to read";
                    }
                }
            }
            return null;
        } finally {
            unlift(code);
        }
    }

    /** A memo key: the determinate ops placed and the register but its {@code next}. */
    private record Config(long[] placed, long hash, boolean present, int value, long version, Set<Long> excluded) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && c.hash == hash && c.present == present && c.value == value
                    && c.version == version && Arrays.equals(c.placed, placed) && c.excluded.equals(excluded);
        }

        @Override
        public int hashCode() {
            return (Long.hashCode(hash * 31 + version) * 31 + value) * 31 + excluded.hashCode();
        }
    }

    /** The rest of a visited configuration. */
    private record Seen(long next, int[] applied) {}
}
