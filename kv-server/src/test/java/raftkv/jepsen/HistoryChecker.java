package raftkv.jepsen;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Checks that a history of set/get/getm/cas/delete is linearizable. A write touches one key, so
 * (linearizability being compositional) each key's operations are checked on their own
 * ({@link KeySearch}), keys in parallel; then the facts about versions that span keys
 * ({@link Versions}). The verdict is NOT_LINEARIZABLE if any check fails, else UNKNOWN if
 * a key ran out of budget, else LINEARIZABLE.
 *
 * <p>Run on a saved history: {@code java -cp ... raftkv.jepsen.HistoryChecker FILE
 * [--time-limit SECONDS] [--max-steps N]}. Exit code 0 linearizable, 1 not, 3 unknown, 2 bad usage
 * or an unreadable file.
 */
public final class HistoryChecker {
    private HistoryChecker() {}

    public static CheckResult check(List<Op> history) {
        return check(history, Budget.DEFAULT);
    }

    public static CheckResult check(List<Op> history, Budget budget) {
        long began = System.nanoTime();
        Budget.Clock clock = budget.start();
        Map<String, List<Op>> byKey = new TreeMap<>();
        long origin = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        for (Op op : history) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            origin = Math.min(origin, op.invoke());
            end = Math.max(end, op.complete() == Op.NEVER ? op.invoke() : op.complete());
        }
        Versions versions = Versions.of(history);
        List<KeyResult> results = checkKeys(byKey, versions, clock);

        Violation violation = versions.conflict().orElse(null);
        boolean unknown = false;
        for (KeyResult r : results) {
            if (violation == null && r.verdict() == Verdict.NOT_LINEARIZABLE) violation = r.violation();
            unknown |= r.verdict() == Verdict.UNKNOWN;
        }
        Verdict verdict = violation != null ? Verdict.NOT_LINEARIZABLE : unknown ? Verdict.UNKNOWN : Verdict.LINEARIZABLE;
        if (history.isEmpty()) origin = end = 0;
        return new CheckResult(verdict, violation, results, origin, end - origin, System.nanoTime() - began);
    }

    /** One search per key on a pool as wide as the machine; results in key order whatever the timing. */
    private static List<KeyResult> checkKeys(Map<String, List<Op>> byKey, Versions versions, Budget.Clock clock) {
        int threads = Math.max(1, Math.min(byKey.size(), Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "history-checker");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<KeyResult>> futures = new ArrayList<>();
            for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
                futures.add(pool.submit(() -> new KeySearch(new KeyHistory(e.getKey(), e.getValue(), versions), clock).run()));
            }
            List<KeyResult> results = new ArrayList<>();
            for (Future<KeyResult> f : futures) results.add(f.get());
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path file = null;
        Budget budget = Budget.DEFAULT;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--time-limit" -> budget = new Budget(Duration.ofSeconds(Long.parseLong(args[++i])), budget.maxStepsPerKey());
                    case "--max-steps" -> budget = new Budget(budget.timeLimit(), Long.parseLong(args[++i]));
                    default -> {
                        if (file != null || args[i].startsWith("-")) throw new IllegalArgumentException("unexpected " + args[i]);
                        file = Path.of(args[i]);
                    }
                }
            }
            if (file == null) throw new IllegalArgumentException("no history file");
        } catch (RuntimeException e) {
            err.println("history-checker: " + (e instanceof ArrayIndexOutOfBoundsException ? "missing value" : e.getMessage()));
            err.println("usage: HistoryChecker FILE [--time-limit SECONDS] [--max-steps N]   (FILE: JSON lines, see HistoryFile)");
            return 2;
        }
        List<Op> history;
        try {
            history = HistoryFile.read(file);
        } catch (IOException | IllegalArgumentException e) {
            err.println("history-checker: " + file + ": " + e.getMessage());
            return 2;
        }
        CheckResult result = check(history, budget);
        out.print(result.explain());
        return switch (result.verdict()) {
            case LINEARIZABLE -> 0;
            case NOT_LINEARIZABLE -> 1;
            case UNKNOWN -> 3;
        };
    }
}
