package raftkv.cli.bench;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress reports during a run, on stderr so that stdout holds only the summary: a bar redrawn
 * in place with carriage returns on a terminal, a plain line every second otherwise, or nothing.
 */
public abstract class BenchProgress {
    /**
     * One report.
     *
     * @param fraction         how much of the run is done, 0 to 1 (of the duration, or of the ops)
     * @param intervalOpsPerSec successful operations per second since the previous report (over
     *                          the whole run in the totals that end it)
     * @param intervalP99Ms    p99 latency since the previous report (or of the whole run); 0 if no operation ended
     */
    public record Snapshot(double elapsedSeconds, double fraction, long ops, double intervalOpsPerSec,
                           double intervalP99Ms, long errors, long timeouts) {}

    /** How often the runner reports. */
    abstract long intervalMillis();

    abstract void update(Snapshot s);

    /** The run is over, with these totals: leave the terminal on a fresh line. */
    abstract void finish(Snapshot totals);

    /** A line about what happens before the measured run, such as writing the keyspace. */
    abstract void note(String line);

    public static BenchProgress bar(PrintStream out) {
        return new Bar(out);
    }

    public static BenchProgress lines(PrintStream out) {
        return new Lines(out);
    }

    public static BenchProgress none() {
        return new BenchProgress() {
            @Override
            long intervalMillis() {
                return 1000;
            }

            @Override
            void update(Snapshot s) {}

            @Override
            void finish(Snapshot totals) {}

            @Override
            void note(String line) {}
        };
    }

    private static final class Bar extends BenchProgress {
        private static final int WIDTH = 20;
        private final PrintStream out;
        private boolean drawn;

        Bar(PrintStream out) {
            this.out = out;
        }

        @Override
        long intervalMillis() {
            return 250;
        }

        @Override
        void update(Snapshot s) {
            int filled = (int) Math.round(Math.min(1, s.fraction()) * WIDTH);
            String line = String.format(Locale.ROOT, "\r[%s%s] %3d%% %6.1fs %10d ops %8.0f ops/s  p99 %7.2fms  failed %d ",
                    "#".repeat(filled), "-".repeat(WIDTH - filled), (int) Math.floor(Math.min(1, s.fraction()) * 100),
                    s.elapsedSeconds(), s.ops(), s.intervalOpsPerSec(), s.intervalP99Ms(), s.errors() + s.timeouts());
            out.print(line);
            out.flush();
            drawn = true;
        }

        @Override
        void finish(Snapshot totals) {
            if (drawn) {
                update(totals); // the bar ends full, with the run's own numbers
                out.println();
            }
            out.flush();
        }

        @Override
        void note(String line) {
            out.println(line);
            out.flush();
        }
    }

    private static final class Lines extends BenchProgress {
        private final PrintStream out;

        Lines(PrintStream out) {
            this.out = out;
        }

        @Override
        long intervalMillis() {
            return 1000;
        }

        @Override
        void update(Snapshot s) {
            out.println(String.format(Locale.ROOT, "bench: %.1f s, %d ops, %.0f ops/s, p99 %.2f ms, errors %d, timeouts %d",
                    s.elapsedSeconds(), s.ops(), s.intervalOpsPerSec(), s.intervalP99Ms(), s.errors(), s.timeouts()));
            out.flush();
        }

        @Override
        void finish(Snapshot totals) {
            out.flush();
        }

        @Override
        void note(String line) {
            out.println(line);
            out.flush();
        }
    }
}
