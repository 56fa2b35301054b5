package raftkv.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the deterministic simulation over many seeds, each a test of its own so that a failing
 * seed is named in the report together with the command that replays it.
 */
class SimulationTest {
    // 150 seeds for each of 3, 5 and 7 nodes: 450 runs of whole nodes (scripts/sim runs more).
    private static final int SEEDS = 450;

    @TestFactory
    Stream<DynamicTest> safetyAndLivenessHoldForEverySeed() {
        return LongStream.range(0, SEEDS).mapToObj(seed -> {
            int nodes = SimMain.clusterSizeFor(seed);
            return DynamicTest.dynamicTest("seed " + seed + ", " + nodes + " nodes", () -> {
                Simulation.Result r = new Simulation(seed, nodes, SimMain.DEFAULT_SAFETY_TICKS, SimMain.LIVENESS_TICKS).run();
                assertNull(r.failure(), () -> r.failure() + "\n  replay: scripts/sim --seeds 1 --start " + seed + " --nodes " + nodes);
                assertTrue(r.commits() > 0, "the workload committed nothing");
            });
        });
    }

    /**
     * Snapshots are exercised, not merely possible: over the 3-node seeds above, followers install
     * snapshots in many runs, after restarts and on nodes that never crashed. Measured when written
     * (whole nodes, SnapshotKeeper's own triggers): a snapshot installed in 40 of the 150 runs, one
     * after a restart in 39; re-measured when followers began to serve reads (which changed how each
     * seed's randomness is drawn): 42 and 42. Installs on nodes that never crashed (an isolated
     * laggard) are rare, 2 in 450 3-node runs, so they are checked on two seeds that have them
     * (236 and 428 at 3 nodes, found by {@code scripts/sim --nodes 3 --seeds 450}; after a change to
     * how runs draw their randomness, find others the same way). The bounds sit well below, so that
     * only a change that stops snapshots from happening fails here.
     */
    @Test
    void snapshotsAreSentAndInstalledInManyRuns() {
        SimMain.SnapshotTotals totals = new SimMain.SnapshotTotals();
        for (long seed = 0; seed < SEEDS; seed++) {
            if (SimMain.clusterSizeFor(seed) != 3) continue;
            totals.add(new Simulation(seed, 3, SimMain.DEFAULT_SAFETY_TICKS, SimMain.LIVENESS_TICKS).run());
        }
        assertEquals(SEEDS / 3, totals.runs);
        assertTrue(totals.runsInstalling >= 30, totals::toString);
        assertTrue(totals.runsInstallingAfterRestart >= 25, totals::toString);
        assertTrue(totals.sent >= totals.installs, totals::toString);

        SimMain.SnapshotTotals laggards = new SimMain.SnapshotTotals();
        for (long seed : new long[] {236, 428}) {
            laggards.add(new Simulation(seed, 3, SimMain.DEFAULT_SAFETY_TICKS, SimMain.LIVENESS_TICKS).run());
        }
        assertTrue(laggards.installs - laggards.installsAfterRestart >= 1, laggards::toString);
    }

    @Test
    void aSeedReplaysExactly() {
        for (long seed : new long[] {7, 8, 9}) {
            Simulation.Result first = new Simulation(seed, SimMain.clusterSizeFor(seed), 600, 200).run();
            Simulation.Result again = new Simulation(seed, SimMain.clusterSizeFor(seed), 600, 200).run();
            assertEquals(first, again);
        }
    }

    @Test
    void commandLinePrintsOneLinePerRunAndTheTotal() {
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        int code = SimMain.run(new String[] {"--seeds", "3", "--start", "40", "--nodes", "3", "--ticks", "300"},
                new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
        List<String> lines = new ArrayList<>(out.toString().lines().toList());
        assertEquals(0, code, out.toString());
        assertEquals(5, lines.size(), out.toString());
        assertTrue(lines.get(0).startsWith("seed 40 nodes 3: elections "), lines.get(0));
        assertTrue(lines.get(0).contains("messages ") && lines.get(0).contains("commits "), lines.get(0));
        assertTrue(lines.get(0).contains(", snapshots sent ") && lines.get(0).contains(" after a restart), graceful stops "), lines.get(0));
        assertTrue(lines.get(3).matches("snapshots: \\d+ sent, \\d+ installed \\(\\d+ after a restart\\);"
                + " runs with an install \\d+ of 3 \\(with one after a restart \\d+\\)"), lines.get(3));
        assertEquals("3 passed, 0 failed", lines.get(4));
    }

    @Test
    void commandLineRejectsUnknownOptionsWithExitCode2() {
        var err = new java.io.ByteArrayOutputStream();
        int code = SimMain.run(new String[] {"--sedes", "3"}, new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
                new java.io.PrintStream(err, true));
        assertEquals(2, code);
        assertTrue(err.toString().startsWith("sim: unknown option --sedes"), err.toString());
    }
}
