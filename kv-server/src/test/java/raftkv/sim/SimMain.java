package raftkv.sim;

import java.io.PrintStream;

/**
 * Command line for the simulation: {@code scripts/sim --seeds N [--start S] [--nodes K]
 * [--ticks T] [--quiet]}. Prints one line per run, the command that replays each failing seed,
 * the snapshot traffic of all runs together, and finally {@code N passed, M failed}. Exit code 0 if all passed, 1 if any failed, 2 on usage errors.
 */
public final class SimMain {
    static final int DEFAULT_SAFETY_TICKS = 1500;
    static final int LIVENESS_TICKS = 200;

    public static void main(String[] args) {
        // The nodes log what a real node would (refused votes from members not yet known to them,
        // role changes): expected here, so silent unless asked for with -Dsim.log=LEVEL.
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.toLevel(System.getProperty("sim.log", "OFF")));
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        long seeds = 100;
        long start = 0;
        int nodes = 0; // 0: cycle through 3, 5 and 7
        int ticks = DEFAULT_SAFETY_TICKS;
        boolean quiet = false;
        boolean membership = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seeds" -> seeds = Long.parseLong(args[++i]);
                    case "--start" -> start = Long.parseLong(args[++i]);
                    case "--nodes" -> nodes = Integer.parseInt(args[++i]);
                    case "--ticks" -> ticks = Integer.parseInt(args[++i]);
                    case "--quiet" -> quiet = true;
                    case "--membership" -> membership = true;
                    case "-h", "--help" -> {
                        out.println(usage());
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (seeds < 1 || nodes < 0 || nodes > 15 || ticks < 1) throw new IllegalArgumentException("out of range");
        } catch (RuntimeException e) {
            err.println("sim: " + (e instanceof ArrayIndexOutOfBoundsException ? "missing value" : e.getMessage()));
            err.println(usage());
            return 2;
        }
        long passed = 0;
        long failed = 0;
        SnapshotTotals snapshots = new SnapshotTotals();
        long began = System.nanoTime();
        for (long seed = start; seed < start + seeds; seed++) {
            int k = nodes > 0 ? nodes : clusterSizeFor(seed);
            Simulation.Result r = new Simulation(seed, k, ticks, LIVENESS_TICKS, membership).run();
            snapshots.add(r);
            if (r.passed()) {
                passed++;
                if (!quiet) out.println(describe(r) + " ok");
            } else {
                failed++;
                out.println(describe(r) + " FAILED: " + r.failure());
                out.println("  " + replay(seed, k, ticks, membership));
            }
        }
        double secs = (System.nanoTime() - began) / 1e9;
        err.printf("sim: %d runs in %.1f s (%.1f seeds/s)%n", passed + failed, secs, (passed + failed) / secs);
        out.println(snapshots);
        out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    /** With no --nodes, seeds cycle through clusters of 3, 5 and 7. */
    static int clusterSizeFor(long seed) {
        return 3 + 2 * (int) Math.floorMod(seed, 3L);
    }

    static String describe(Simulation.Result r) {
        return String.format("seed %d nodes %d: elections %d, messages %d, commits %d, acked writes %d, reads %d"
                        + " (%d sent to a follower, %d served by followers), snapshots sent %d, installed %d (%d after a restart), graceful stops %d, membership changes %d",
                r.seed(), r.nodes(), r.elections(), r.messages(), r.commits(), r.acks(), r.reads(), r.readsToFollowers(), r.followerReads(),
                r.snapshotsSent(), r.installs(), r.installsAfterRestart(), r.stops(), r.membershipChanges());
    }

    /** Snapshot traffic summed over runs, and how many runs installed at least one. */
    static final class SnapshotTotals {
        long runs;
        long sent;
        long installs;
        long installsAfterRestart;
        long runsInstalling;
        long runsInstallingAfterRestart;

        void add(Simulation.Result r) {
            runs++;
            sent += r.snapshotsSent();
            installs += r.installs();
            installsAfterRestart += r.installsAfterRestart();
            if (r.installs() > 0) runsInstalling++;
            if (r.installsAfterRestart() > 0) runsInstallingAfterRestart++;
        }

        @Override
        public String toString() {
            return String.format("snapshots: %d sent, %d installed (%d after a restart); runs with an install %d of %d"
                    + " (with one after a restart %d)", sent, installs, installsAfterRestart, runsInstalling, runs,
                    runsInstallingAfterRestart);
        }
    }

    private static String usage() {
        return "usage: scripts/sim --seeds N [--start S] [--nodes K] [--ticks T] [--membership] [--quiet]\n"
                + "  runs N seeded simulations of a Raft cluster under faults, from seed S (default 0),\n"
                + "  with K nodes (default: 3, 5 and 7 in turn) for T ticks of faults (default "
                + DEFAULT_SAFETY_TICKS + ");\n"
                + "  --membership changes the membership in every run (by default, in half of them)";
    }

    /** The command that runs one seed again, as the run that failed ran it. */
    static String replay(long seed, int nodes, int ticks, boolean membership) {
        return "replay: scripts/sim --seeds 1 --start " + seed + " --nodes " + nodes
                + (ticks != DEFAULT_SAFETY_TICKS ? " --ticks " + ticks : "") + (membership ? " --membership" : "");
    }
}
