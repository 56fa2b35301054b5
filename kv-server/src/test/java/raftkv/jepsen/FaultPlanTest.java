package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import raftkv.jepsen.FaultPlan.Fault;

/** The nemesis's schedule: a function of the seed alone, and never more than a minority down. */
class FaultPlanTest {
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

    @Test
    void theSameSeedGivesTheSameScheduleAndAnotherSeedAnother() {
        String a = FaultPlan.describe(FaultPlan.generate(42, 5, FIVE_MINUTES));
        assertEquals(a, FaultPlan.describe(FaultPlan.generate(42, 5, FIVE_MINUTES)));
        assertNotEquals(a, FaultPlan.describe(FaultPlan.generate(43, 5, FIVE_MINUTES)));
    }

    @Test
    void theScheduleCoversTheDurationAndUsesEveryKindOfFault() {
        Set<Class<?>> kinds = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            List<FaultPlan.Step> steps = FaultPlan.generate(seed, 5, FIVE_MINUTES);
            long planned = steps.stream().mapToLong(s -> s.gapMillis() + s.fault().millis()).sum();
            assertTrue(planned >= FIVE_MINUTES.toMillis(), "seed " + seed + " plans only " + planned + " ms");
            steps.forEach(s -> kinds.add(s.fault().getClass()));
        }
        assertEquals(Set.of(FaultPlan.Kill.class, FaultPlan.Pause.class, FaultPlan.PauseAndKill.class,
                FaultPlan.Partition.class, FaultPlan.Bridge.class, FaultPlan.OneWay.class, FaultPlan.Transfer.class,
                FaultPlan.KillAll.class, FaultPlan.Flapping.class, FaultPlan.IsolateAndKill.class), kinds);
    }

    @Test
    void membershipFaultsComeOnlyWhenAskedForAndLeaveTheOtherFaultsAsTheyWere() {
        for (long seed = 0; seed < 20; seed++) {
            assertTrue(FaultPlan.generate(seed, 5, FIVE_MINUTES).stream().noneMatch(s -> s.fault() instanceof FaultPlan.Rejoin));
        }
        long rejoins = 0;
        for (long seed = 0; seed < 20; seed++) {
            List<FaultPlan.Step> steps = FaultPlan.generate(seed, 5, FIVE_MINUTES, true);
            rejoins += steps.stream().filter(s -> s.fault() instanceof FaultPlan.Rejoin).count();
            assertTrue(FaultPlan.generate(seed, 1, FIVE_MINUTES, true).stream().noneMatch(s -> s.fault() instanceof FaultPlan.Rejoin),
                    "one node cannot be removed");
        }
        assertTrue(rejoins >= 20, "about one fault in five changes the membership: " + rejoins);
        assertTrue(FaultPlan.describe(FaultPlan.generate(3, 5, FIVE_MINUTES, true)).contains("under a new id, add it as a learner, promote it"));
    }

    @Test
    void noFaultTakesDownMoreThanAMinorityExceptKillAllWhichRestartsAtOnce() {
        for (int nodes : List.of(1, 3, 5, 7)) {
            int minority = (nodes - 1) / 2;
            for (long seed = 0; seed < 50; seed++) {
                for (FaultPlan.Step s : FaultPlan.generate(seed, nodes, FIVE_MINUTES, seed % 2 == 0)) {
                    Fault f = s.fault();
                    String why = nodes + " nodes, seed " + seed + ": " + FaultPlan.describe(f);
                    assertTrue(down(f) <= minority, why);
                    if (f instanceof FaultPlan.KillAll) assertTrue(f.millis() <= 1000, why);
                    if (f instanceof FaultPlan.Kill k && k.targets().size() == 2) {
                        assertNotEquals(k.targets().get(0).node(), k.targets().get(1).node(), why);
                    }
                }
            }
        }
    }

    /** Nodes the fault keeps down at once (killed or paused or cut off); kill-all aside. */
    private static int down(Fault f) {
        if (f instanceof FaultPlan.Kill k) return k.targets().size();
        if (f instanceof FaultPlan.Pause || f instanceof FaultPlan.OneWay || f instanceof FaultPlan.Rejoin) return 1;
        if (f instanceof FaultPlan.PauseAndKill || f instanceof FaultPlan.IsolateAndKill) return 2;
        if (f instanceof FaultPlan.Partition p) return p.minority();
        if (f instanceof FaultPlan.Flapping fl) return fl.cuts().stream().mapToInt(FaultPlan.Cut::minority).max().orElse(0);
        return 0; // a bridge keeps each side connected to a majority; a transfer downs nobody
    }
}
