package raftkv.jepsen;

import java.util.Arrays;
import java.util.Comparator;
import raftkv.jepsen.RegisterModel.State;
import raftkv.jepsen.RegisterModel.Step;

/**
 * Another dead end the search can see early. Versions only grow along a linearization
 * ({@code next} never falls), and some determinate operations need the register's {@code next}
 * to be low enough: a write acknowledged with version w needs next <= w; a cas that matched
 * version e needs next <= e + 1; a read that shows version r needs next <= r + 1. Once next has
 * passed one of these for an operation not yet placed, it can never be placed. Without this, with
 * many writes in flight at once the search would try every order of them before their
 * completions caught up with it.
 *
 * <p>Keeps the determinate operations not yet placed that have such a bound in a list sorted by
 * it (dancing links, LIFO like the search), so the tightest is at the head.
 */
final class Deadlines {
    private final long[] bound; // per determinate op; Long.MAX_VALUE: none
    private final int[] next;
    private final int[] prev;
    private final int sentinel;

    Deadlines(KeyHistory h) {
        int n = h.dStep.length;
        bound = new long[n];
        for (int i = 0; i < n; i++) bound[i] = boundOf(h.dStep[i]);
        Integer[] order = java.util.stream.IntStream.range(0, n).filter(i -> bound[i] != Long.MAX_VALUE).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingLong(i -> bound[i]));
        sentinel = n;
        next = new int[n + 1];
        prev = new int[n + 1];
        Arrays.fill(next, -1);
        int last = sentinel;
        for (int i : order) {
            next[last] = i;
            prev[i] = last;
            last = i;
        }
        next[last] = sentinel;
        prev[sentinel] = last;
    }

    /** The highest {@code next} at which the step can still be placed. */
    private static long boundOf(Step s) {
        return switch (s.kind()) {
            case SET -> s.version();
            case CAS -> s.expected() + 1;
            case READ -> s.version() == 0 ? Long.MAX_VALUE : s.version() + 1;
            default -> Long.MAX_VALUE;
        };
    }

    /** Whether some operation not yet placed can never be placed from {@code s} on. */
    boolean doomed(State s) {
        int head = next[sentinel];
        return head != sentinel && bound[head] < s.next();
    }

    void placed(int i) {
        if (bound[i] == Long.MAX_VALUE) return;
        next[prev[i]] = next[i];
        prev[next[i]] = prev[i];
    }

    void unplaced(int i) {
        if (bound[i] == Long.MAX_VALUE) return;
        next[prev[i]] = i;
        prev[next[i]] = i;
    }
}
