package raftkv.jepsen;

import java.util.ArrayList;
import java.util.List;

/**
 * The verdict for a whole history, the window that shows a violation (if any), and per key
 * statistics. {@code origin} is the earliest invocation, from which {@link #explain()} counts
 * time; {@code span} runs from it to the last completion. {@code nanos}: how long the check took.
 */
public record CheckResult(Verdict verdict, Violation violation, List<KeyResult> keys, long origin, long span, long nanos) {
    /**
     * A history spanning at least this much is taken to be timed in nanoseconds (a tenth of a
     * second or more) and printed in milliseconds; a shorter one, as on a logical clock.
     */
    static final long NANOS_SPAN = 100_000_000L;

    /** Prefix operations shown before the failure point; the rest are counted, not printed. */
    static final int PREFIX_SHOWN = 10;

    public CheckResult {
        keys = List.copyOf(keys);
        if ((verdict == Verdict.NOT_LINEARIZABLE) != (violation != null)) {
            throw new IllegalArgumentException(verdict + " with violation " + violation);
        }
    }

    public boolean linearizable() {
        return verdict == Verdict.LINEARIZABLE;
    }

    /** One line: the verdict, sizes and time. */
    public String summary() {
        int ops = 0, det = 0, info = 0, ignored = 0;
        long steps = 0;
        for (KeyResult k : keys) {
            ops += k.stats().ops();
            det += k.stats().determinate();
            info += k.stats().infoWrites();
            ignored += k.stats().ignored();
            steps += k.stats().steps();
        }
        return String.format("%s: %s on %s (%d determinate, %s, %d failed or info reads ignored), %s, %.3f s",
                verdict.display(), count(ops, "operation"), count(keys.size(), "key"), det, count(info, "info write"), ignored,
                count(steps, "search step"), nanos / 1e9);
    }

    private static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** The summary, then for a violation the window that shows it, or for UNKNOWN the keys whose budget ran out. */
    public String explain() {
        StringBuilder b = new StringBuilder(summary()).append('\n');
        if (verdict == Verdict.UNKNOWN) {
            for (KeyResult k : keys) {
                if (k.verdict() == Verdict.UNKNOWN) {
                    b.append(String.format("  key %s: budget exhausted after %d steps, %d configurations (%d determinate ops, %d info writes)%n",
                            k.key(), k.stats().steps(), k.stats().configurations(), k.stats().determinate(), k.stats().infoWrites()));
                }
            }
        }
        if (violation != null) b.append(explain(violation, origin, span >= NANOS_SPAN));
        return b.toString();
    }

    static String explain(Violation v, long origin, boolean nanoTimes) {
        List<Timeline.Row> prefix = new ArrayList<>();
        int shown = Math.min(PREFIX_SHOWN, v.prefix().size());
        for (Op op : v.prefix().subList(v.prefix().size() - shown, v.prefix().size())) {
            prefix.add(new Timeline.Row(op, ' ', op.isInfo() ? "took effect here" : ""));
        }
        // the window: the prefix shown and the determinate ops that could come next; info writes
        // pending since before it are counted, not shown
        long windowStart = Long.MAX_VALUE;
        for (Timeline.Row r : prefix) {
            if (!r.op().isInfo()) windowStart = Math.min(windowStart, r.op().invoke());
        }
        for (Violation.Candidate c : v.concurrent()) {
            if (!c.op().isInfo()) windowStart = Math.min(windowStart, c.op().invoke());
        }
        List<Timeline.Row> next = new ArrayList<>();
        if (v.state() == null && v.blocking() != null) next.add(new Timeline.Row(v.blocking(), '!', ""));
        int olderInfo = 0;
        for (Violation.Candidate c : v.concurrent()) {
            if (c.op().isInfo() && c.op().invoke() < windowStart && v.state() != null) {
                olderInfo++;
                continue;
            }
            String note = c.whyNot() != null ? c.whyNot()
                    : c.op().isInfo() ? "may take effect here, but no continuation after that works"
                    : "legal here, but no continuation after it works";
            next.add(new Timeline.Row(c.op(), c.op().equals(v.blocking()) ? '!' : ' ', note));
        }
        List<Timeline.Row> all = new ArrayList<>(prefix);
        all.addAll(next);
        Timeline.Scale scale = Timeline.Scale.of(all, nanoTimes);

        StringBuilder b = new StringBuilder();
        b.append("key ").append(v.key()).append(": ").append(v.reason()).append('\n');
        if (v.state() != null) {
            b.append(String.format("linearized first: %s of key %s, in this order%s:%n", count(v.prefix().size(), "operation"), v.key(),
                    shown < v.prefix().size() ? " (the last " + shown + " shown)" : ""));
            b.append(prefix.isEmpty() ? "    (none)\n" : Timeline.header(scale) + Timeline.render(prefix, origin, scale));
            b.append("then the register holds ").append(v.state()).append(", and none of these can come next\n")
                    .append("(! marks the first to complete: everything invoked after it completed must follow it):\n");
        }
        b.append(Timeline.header(scale));
        b.append(Timeline.render(next, origin, scale));
        if (olderInfo > 0) {
            b.append("    ... and ").append(olderInfo).append(" older info writes, pending since before this window:")
                    .append(" each may take effect at any time, or never\n");
        }
        return b.toString();
    }
}
