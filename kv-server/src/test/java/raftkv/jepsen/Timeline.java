package raftkv.jepsen;

import java.util.Arrays;
import java.util.List;

/**
 * Prints operations as a readable timeline: one row per operation with its process, call,
 * outcome, invocation and completion in milliseconds from the start of the history, a bar
 * showing when it ran relative to the other rows, and a note.
 */
final class Timeline {
    private static final int BAR = 32;

    /** One line to print: an operation, a marker column and a note (may be empty). */
    record Row(Op op, char mark, String note) {}

    /**
     * The time span the bars cover, so that several tables can share one scale; {@code nanos}:
     * print times as milliseconds, else as they are (a logical clock).
     */
    record Scale(long lo, long hi, boolean nanos) {
        String format(long t) {
            return nanos() ? String.format("%.3f", t / 1e6) : Long.toString(t);
        }

        /** Spans the determinate rows (info ops may have begun long before); all rows if there are none. */
        static Scale of(List<Row> rows, boolean nanos) {
            boolean anyDeterminate = rows.stream().anyMatch(r -> !r.op().isInfo());
            long lo = Long.MAX_VALUE;
            long hi = Long.MIN_VALUE;
            for (Row r : rows) {
                if (anyDeterminate && r.op().isInfo()) continue;
                lo = Math.min(lo, r.op().invoke());
                hi = Math.max(hi, r.op().isInfo() ? r.op().invoke() : r.op().complete());
            }
            return new Scale(lo, hi, nanos);
        }
    }

    private Timeline() {}

    static String header(Scale scale) {
        return String.format("    %-8s %-5s %-30s %-20s %-25s  %-" + (BAR + 2) + "s  %s", "op", "proc", "call", "result",
                "invoke .. complete" + (scale.nanos() ? " (ms)" : ""), "when", "note").stripTrailing() + "\n";
    }

    static String render(List<Row> rows, long origin, Scale scale) {
        StringBuilder b = new StringBuilder();
        for (Row r : rows) {
            Op op = r.op();
            String end = op.complete() == Op.NEVER ? "never" : scale.format(op.complete() - origin);
            if (op.isInfo() && op.complete() != Op.NEVER) end = "(" + end + ")";
            b.append(String.format("  %c %-8s %-5s %-30s %-20s %11s .. %-10s  %s  %s", r.mark(), "#" + op.id(), "p" + op.process(),
                    op.call().describe(), op.outcome().describe(), scale.format(op.invoke() - origin), end, bar(op, scale), r.note())
                    .stripTrailing()).append('\n');
        }
        return b.toString();
    }

    /**
     * '=' while the op ran; '~' from its invocation on for an info op, which has no completion
     * bound; '<' first if it began before the span shown.
     */
    private static String bar(Op op, Scale s) {
        char[] cells = new char[BAR];
        Arrays.fill(cells, ' ');
        double span = Math.max(1, s.hi() - s.lo());
        int from = (int) Math.max(0, Math.min(BAR - 1, Math.floor((op.invoke() - s.lo()) / span * (BAR - 1))));
        int to = op.isInfo() ? BAR - 1 : (int) Math.min(BAR - 1, Math.ceil((op.complete() - s.lo()) / span * (BAR - 1)));
        for (int i = from; i <= to; i++) cells[i] = op.isInfo() ? '~' : '=';
        if (op.invoke() < s.lo()) cells[0] = '<';
        return "|" + new String(cells) + "|";
    }
}
