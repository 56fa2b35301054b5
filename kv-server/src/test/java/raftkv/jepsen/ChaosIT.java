package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fast chaos run of {@code mvn verify}: 45 seconds of faults on a real five-node cluster, fsync
 * on, with a fixed seed whose plan cuts the leader off and then kills the leader the others elect,
 * kills a follower, cuts every request from the leader (one-way), transfers leadership four times
 * and kills every node at once; then heal, restart, final reads and the full check.
 * {@code scripts/chaos} runs the long version.
 */
class ChaosIT {
    private static final long SEED = 10;

    @Test
    @Timeout(value = 175, unit = TimeUnit.SECONDS)
    void fortyFiveSecondsOfFaultsLeaveALinearizableHistoryWithNoAcknowledgedWriteLost() throws Exception {
        // Under target/, kept when the run fails (with node logs and the data), deleted when it passes.
        Path dir = Path.of("target", "chaos-it-" + SEED).toAbsolutePath();
        ChaosOptions options = ChaosOptions.defaults(Duration.ofSeconds(45), SEED).withDir(dir, false);

        ChaosReport report = new ChaosRunner(options, System.out).run();
        System.out.print(report.format());

        String why = "\n" + report.format();
        assertEquals(List.of(), report.crashes(), why);
        assertEquals(List.of(), report.finalReadsMissing(), why);
        assertEquals(List.of(), report.audit().lost(), "acknowledged writes lost" + why);
        assertEquals("LINEARIZABLE", report.verdictLine(), why);
        assertTrue(report.leaderChanges() > 0, "no leader change seen" + why);
        assertTrue(report.faults().values().stream().mapToInt(Integer::intValue).sum() >= 3, "too few faults" + why);
        assertTrue(report.ops().size() > 1000, "too few operations" + why);
        assertTrue(report.audit().acknowledged() > 300, "too few acknowledged writes" + why);
    }
}
