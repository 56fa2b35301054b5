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
    // 200 seeds for each of 3, 5 and 7 nodes: 600 runs.
    private static final int SEEDS = 600;

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
        assertEquals(4, lines.size(), out.toString());
        assertTrue(lines.get(0).startsWith("seed 40 nodes 3: elections "), lines.get(0));
        assertTrue(lines.get(0).contains("messages ") && lines.get(0).contains("commits "), lines.get(0));
        assertEquals("3 passed, 0 failed", lines.get(3));
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
