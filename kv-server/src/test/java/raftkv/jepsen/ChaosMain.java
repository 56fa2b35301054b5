package raftkv.jepsen;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code scripts/chaos --duration SECONDS --seed S [--nodes 5] [--clients 10] [--keys 8]
 * [--election-timeout-ms 1000] [--membership] [--dir FOLDER] [--keep] [--plan-only]}: one chaos run against a real local cluster (see {@link
 * ChaosRunner}); {@code --plan-only} prints the seed's fault schedule and exits.
 * The last line printed is {@code LINEARIZABLE} or {@code NOT LINEARIZABLE} (or {@code UNKNOWN} if
 * the checker ran out of budget). Exit code 0 only if the history is linearizable, no acknowledged
 * write was lost, every key was read at the end and no node crashed; 1 otherwise; 2 bad usage;
 * 3 unknown; 4 the run itself failed (say, no leader at start).
 */
public final class ChaosMain {
    private static final String USAGE = "usage: chaos --duration SECONDS --seed S [--nodes 5] [--clients 10] [--keys 8] "
            + "[--election-timeout-ms 1000] [--membership] [--dir FOLDER] [--keep] [--plan-only]";

    private ChaosMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        ChaosOptions options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("chaos: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (options == null) {
            out.println(USAGE);
            return 0;
        }
        if (List.of(args).contains("--plan-only")) {
            out.print(FaultPlan.describe(FaultPlan.generate(options.seed(), options.nodes(), options.duration(), options.membership())));
            return 0;
        }
        ChaosReport report;
        try {
            report = new ChaosRunner(options, out).run();
        } catch (Exception e) {
            err.println("chaos: the run failed: " + e);
            e.printStackTrace(err);
            return 4;
        }
        out.print(report.format());
        out.flush();
        if (report.passed()) return 0;
        return switch (report.check().verdict()) {
            case UNKNOWN -> 3;
            default -> 1;
        };
    }

    /** The options, or null for --help. */
    static ChaosOptions parse(String[] args) {
        Long seconds = null;
        Long seed = null;
        int nodes = ChaosOptions.DEFAULT_NODES;
        int clients = ChaosOptions.DEFAULT_CLIENTS;
        int keys = ChaosOptions.DEFAULT_KEYS;
        int electionMs = ChaosOptions.DEFAULT_ELECTION_TIMEOUT_MS;
        boolean membership = false;
        Path dir = null;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--duration" -> seconds = number(args, ++i, a);
                case "--seed" -> seed = number(args, ++i, a);
                case "--nodes" -> nodes = (int) (long) number(args, ++i, a);
                case "--clients" -> clients = (int) (long) number(args, ++i, a);
                case "--keys" -> keys = (int) (long) number(args, ++i, a);
                case "--election-timeout-ms" -> electionMs = (int) (long) number(args, ++i, a);
                case "--dir" -> dir = Path.of(value(args, ++i, a));
                case "--keep" -> keep = true;
                case "--membership" -> membership = true;
                case "--plan-only" -> { } // handled by run()
                case "-h", "--help" -> {
                    return null;
                }
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (seconds == null || seconds < 1) throw new IllegalArgumentException("--duration SECONDS (at least 1) is required");
        if (seed == null) throw new IllegalArgumentException("--seed S is required (the same seed gives the same faults)");
        if (nodes < 1 || nodes > 9) throw new IllegalArgumentException("--nodes must be 1 to 9");
        if (clients < 1 || clients > 100) throw new IllegalArgumentException("--clients must be 1 to 100");
        if (keys < 1 || keys > 1000) throw new IllegalArgumentException("--keys must be 1 to 1000");
        if (electionMs < 100 || electionMs > 60_000) throw new IllegalArgumentException("--election-timeout-ms must be 100 to 60000");
        return ChaosOptions.defaults(Duration.ofSeconds(seconds), seed).withCluster(nodes, electionMs).withWorkload(clients, keys)
                .withDir(dir, keep).withMembership(membership);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static long number(String[] args, int i, String option) {
        String v = value(args, i, option);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be an integer, got \"" + v + "\"");
        }
    }
}
