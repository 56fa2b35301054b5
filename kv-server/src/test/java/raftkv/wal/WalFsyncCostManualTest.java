package raftkv.wal;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.raft.Entry;

/**
 * What one durable write costs on this machine: 10,000 pairs of append(one 100-byte entry) and
 * sync(), with fsync on and off; and how long opening a log of a million entries takes.
 * Measurements to read, not tests to pass. Run them with
 * <pre>
 * mvn -o test -pl kv-server -am -Dtest=WalFsyncCostManualTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Djunit.jupiter.conditions.deactivate='org.junit.*DisabledCondition'
 * </pre>
 * The temporary folder must be on the disk the data will live on (not tmpfs); set
 * {@code -Djava.io.tmpdir} to choose.
 */
@Disabled("manual measurement of fsync cost; see the class comment to run it")
class WalFsyncCostManualTest {
    private static final int PAIRS = 10_000;

    @TempDir
    Path tmp;

    @Test
    void appendAndSyncPairs() {
        measure("fsync off (warm-up)", false, tmp.resolve("warmup"));
        measure("fsync off", false, tmp.resolve("off"));
        measure("fsync on", true, tmp.resolve("on"));
    }

    @Test
    void recoveryOfALargeLog() {
        Path dir = tmp.resolve("large");
        ByteString data = ByteString.copyFrom(new byte[100]);
        int count = 1_000_000;
        try (Wal wal = Wal.open(dir, false)) {
            for (int i = 1; i <= count; i++) wal.append(List.of(Entry.normal(i, 1, data)));
        }
        long start = System.nanoTime();
        try (Wal wal = Wal.open(dir, false)) {
            System.out.printf("recovery of %,d entries of 100 bytes: %,d ms%n", wal.recovered().entries().size(),
                    (System.nanoTime() - start) / 1_000_000);
        }
    }

    private static void measure(String label, boolean fsync, Path dir) {
        ByteString data = ByteString.copyFrom(new byte[100]);
        long[] nanos = new long[PAIRS];
        try (Wal wal = Wal.open(dir, fsync)) {
            long start = System.nanoTime();
            for (int i = 0; i < PAIRS; i++) {
                long t = System.nanoTime();
                wal.append(List.of(Entry.normal(i + 1, 1, data)));
                wal.sync();
                nanos[i] = System.nanoTime() - t;
            }
            long total = System.nanoTime() - start;
            Arrays.sort(nanos);
            System.out.printf("%-20s %,d pairs in %,d ms: %.1f us each; p50 %.1f us, p99 %.1f us, max %.1f ms%n",
                    label, PAIRS, total / 1_000_000, total / 1e3 / PAIRS, nanos[PAIRS / 2] / 1e3,
                    nanos[PAIRS * 99 / 100] / 1e3, nanos[PAIRS - 1] / 1e6);
        }
    }
}
