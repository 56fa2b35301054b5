package raftkv.jepsen;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What one chaos run found, and its printout: operations by kind and outcome, failures,
 * indeterminate operations, leader changes, faults, the audit of acknowledged writes, and last the
 * verdict line ({@code LINEARIZABLE} / {@code NOT LINEARIZABLE}) with the checker's explanation.
 *
 * @param startNanos when the run began (System.nanoTime, as the history's times), for times in the printout
 * @param reigns   every (term, leader) pair seen while the faults ran
 * @param finalReadsMissing keys the final read could not get an answer for
 * @param crashes  nodes that exited without being killed by the nemesis
 */
record ChaosReport(ChaosOptions options, long startNanos, Path dir, List<Op> ops, long textOps, long grpcOps,
                   Set<LeaderWatch.Reign> reigns, Map<String, Integer> faults, AckAudit.Result audit,
                   List<String> finalReadsMissing, List<String> crashes, CheckResult check, Duration elapsed) {
    private static final List<String> VERBS = List.of("set", "get", "getm", "cas", "delete");
    private static final List<String> OUTCOMES = List.of("ok", "value", "not-found", "mismatch", "deleted", "fail", "info");

    /** Leader changes: distinct (term, leader) pairs seen, less the first leader. */
    int leaderChanges() {
        return Math.max(0, reigns.size() - 1);
    }

    long failures() {
        return ops.stream().filter(Op::isFail).count();
    }

    long indeterminate() {
        return ops.stream().filter(Op::isInfo).count();
    }

    /** Everything held: linearizable, no acknowledged write lost, every key read at the end, no crash. */
    boolean passed() {
        return check.linearizable() && audit.lost().isEmpty() && finalReadsMissing.isEmpty() && crashes.isEmpty();
    }

    /** The last line: the checker's verdict as printed. */
    String verdictLine() {
        return check.verdict().display();
    }

    String format() {
        StringBuilder b = new StringBuilder();
        String files = Files.isDirectory(dir) ? "config, node logs, data and history in " + dir
                : "its files are deleted (the run passed; --keep keeps them)";
        b.append(String.format("%nchaos seed %d: %d s with %d nodes, %d clients, %d keys; took %d s; %s%n",
                options.seed(), options.duration().toSeconds(), options.nodes(), options.clients(), options.keys(),
                elapsed.toSeconds(), files));
        b.append(String.format("operations: %d (text protocol %d, gRPC %d)%n", ops.size(), textOps, grpcOps));
        b.append(table());
        b.append(String.format("failures (certainly not applied): %d%n", failures()));
        b.append(reasons(Op::isFail));
        b.append(String.format("indeterminate (info: timeout, lost connection, ERR_TIMEOUT, UNAVAILABLE): %d%n", indeterminate()));
        b.append(reasons(Op::isInfo));
        b.append(longestOutage());
        b.append(String.format("leader changes: %d (%d distinct (term, leader) pairs: %s)%n", leaderChanges(), reigns.size(),
                reigns.stream().map(r -> r.term() + ":" + r.leader()).collect(Collectors.joining(" "))));
        int total = faults.values().stream().mapToInt(Integer::intValue).sum();
        b.append(String.format("faults injected: %d (%s)%n", total, faults.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))));
        b.append(String.format("acknowledged writes: %d, lost: %d%n", audit.acknowledged(), audit.lost().size()));
        for (Op lost : audit.lost().subList(0, Math.min(10, audit.lost().size()))) b.append("  lost: ").append(lost).append('\n');
        if (!finalReadsMissing.isEmpty()) b.append("final read got no answer for keys ").append(finalReadsMissing).append('\n');
        for (String crash : crashes) b.append("CRASH: ").append(crash).append('\n');
        b.append("checker: ").append(check.explain().stripTrailing()).append('\n');
        if (!passed() && check.linearizable()) b.append("FAILED: see the lines above\n");
        b.append(verdictLine()).append('\n');
        return b.toString();
    }

    private String table() {
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        for (String v : VERBS) counts.put(v, new TreeMap<>());
        for (Op op : ops) counts.get(op.call().verb()).merge(outcomeName(op.outcome()), 1, Integer::sum);
        StringBuilder b = new StringBuilder(String.format("  %-7s", ""));
        for (String o : OUTCOMES) b.append(String.format(" %9s", o));
        b.append(String.format(" %9s%n", "total"));
        for (String v : VERBS) {
            b.append(String.format("  %-7s", v));
            int sum = 0;
            for (String o : OUTCOMES) {
                int n = counts.get(v).getOrDefault(o, 0);
                sum += n;
                b.append(String.format(" %9s", n == 0 ? "-" : Integer.toString(n)));
            }
            b.append(String.format(" %9d%n", sum));
        }
        return b.toString();
    }

    /**
     * The longest stretch while the faults ran with no operation answered (neither failed nor
     * indeterminate): the worst unavailability. The final reads (after the restart) do not count.
     */
    private String longestOutage() {
        long[] done = ops.stream().filter(op -> op.process() < options.clients() && !op.isInfo() && !op.isFail())
                .mapToLong(Op::complete).sorted().toArray();
        if (done.length < 2) return "";
        long gap = 0;
        long at = 0;
        for (int i = 1; i < done.length; i++) {
            if (done[i] - done[i - 1] > gap) {
                gap = done[i] - done[i - 1];
                at = done[i - 1];
            }
        }
        return String.format("longest time without an answered operation: %.1f s (from %.1f s)%n", gap / 1e9,
                (at - startNanos) / 1e9);
    }

    /** The most common reasons among the ops that {@code which} selects, numbers blanked out. */
    private String reasons(java.util.function.Predicate<Op> which) {
        Map<String, Long> counts = ops.stream().filter(which).collect(Collectors.groupingBy(op -> {
            String why = op.outcome() instanceof Outcome.Fail f ? f.error() : ((Outcome.Info) op.outcome()).error();
            why = why.replaceAll("[0-9]+", "N");
            return why.length() > 90 ? why.substring(0, 90) + "..." : why;
        }, TreeMap::new, Collectors.counting()));
        StringBuilder b = new StringBuilder();
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6)
                .forEach(e -> b.append(String.format("  %7d  %s%n", e.getValue(), e.getKey())));
        return b.toString();
    }

    private static String outcomeName(Outcome o) {
        if (o instanceof Outcome.Ok) return "ok";
        if (o instanceof Outcome.Value) return "value";
        if (o instanceof Outcome.NotFound) return "not-found";
        if (o instanceof Outcome.VersionMismatch) return "mismatch";
        if (o instanceof Outcome.Deleted) return "deleted";
        if (o instanceof Outcome.Fail) return "fail";
        return "info";
    }
}
