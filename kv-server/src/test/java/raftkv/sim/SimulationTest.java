package raftkv.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the deterministic simulation over many seeds, each a test of its own so that a failing
 * seed is named in the report together with the command that replays it.
 */
class SimulationTest {
    private static final Logger NODE_LOGS = (Logger) org.slf4j.LoggerFactory.getLogger("raftkv");
    private static Level levelBefore;

    /**
     * The simulated nodes log what a real node would (a removed node's warning, refused votes):
     * expected here, and thousands of lines over the seeds, so silent during these tests whatever
     * an earlier test in this JVM set up (as scripts/sim is unless -Dsim.log=LEVEL).
     */
    @BeforeAll
    static void silenceTheNodes() {
        levelBefore = NODE_LOGS.getLevel();
        NODE_LOGS.setLevel(Level.toLevel(System.getProperty("sim.log", "OFF")));
    }

    @AfterAll
    static void restoreTheNodesLogs() {
        NODE_LOGS.setLevel(levelBefore);
    }

    // 150 seeds for each of 3, 5 and 7 nodes: 450 runs of whole nodes (scripts/sim runs more).
    private static final int SEEDS = 450;

    // And 3,000 shorter runs (500 ticks of faults) from seed 100,000, each changing the membership.
    private static final long MEMBERSHIP_START = 100_000;
    private static final int MEMBERSHIP_SEEDS = 3000;
    private static final int MEMBERSHIP_TICKS = 500;

    @TestFactory
    Stream<DynamicTest> safetyAndLivenessHoldForEverySeed() {
        return LongStream.range(0, SEEDS).mapToObj(seed -> run(seed, SimMain.DEFAULT_SAFETY_TICKS, false));
    }

    /** Membership changes at random under every fault: several thousand seeds (issue 11). */
    @TestFactory
    Stream<DynamicTest> safetyAndLivenessHoldWhileTheMembershipChanges() {
        long[] changes = {0};
        Stream<DynamicTest> runs = LongStream.range(MEMBERSHIP_START, MEMBERSHIP_START + MEMBERSHIP_SEEDS)
                .mapToObj(seed -> run(seed, MEMBERSHIP_TICKS, true, r -> changes[0] += r.membershipChanges()));
        DynamicTest total = DynamicTest.dynamicTest("the runs changed the membership", () ->
                assertTrue(changes[0] >= 3L * MEMBERSHIP_SEEDS, "only " + changes[0] + " membership changes in "
                        + MEMBERSHIP_SEEDS + " runs"));
        return Stream.concat(runs, Stream.of(total));
    }

    private static DynamicTest run(long seed, int ticks, boolean membership) {
        return run(seed, ticks, membership, r -> { });
    }

    private static DynamicTest run(long seed, int ticks, boolean membership, java.util.function.Consumer<Simulation.Result> tally) {
        int nodes = SimMain.clusterSizeFor(seed);
        return DynamicTest.dynamicTest("seed " + seed + ", " + nodes + " nodes" + (membership ? ", membership" : ""), () -> {
            Simulation.Result r = new Simulation(seed, nodes, ticks, SimMain.LIVENESS_TICKS, membership).run();
            tally.accept(r);
            assertNull(r.failure(), () -> r.failure() + "\n  " + SimMain.replay(seed, nodes, ticks, membership));
            assertTrue(r.commits() > 0, "the workload committed nothing");
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
