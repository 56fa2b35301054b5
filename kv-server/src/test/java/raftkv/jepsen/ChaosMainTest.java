package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The command line of scripts/chaos. */
class ChaosMainTest {
    @Test
    void optionsNeedADurationAndASeed() {
        assertThrows(IllegalArgumentException.class, () -> ChaosMain.parse(new String[] {"--seed", "1"}));
        assertThrows(IllegalArgumentException.class, () -> ChaosMain.parse(new String[] {"--duration", "10"}));
        assertThrows(IllegalArgumentException.class, () -> ChaosMain.parse(new String[] {"--duration", "x", "--seed", "1"}));
        assertNull(ChaosMain.parse(new String[] {"--help"}));
        assertTrue(ChaosMain.parse(new String[] {"--duration", "10", "--seed", "1", "--membership"}).membership());
        assertFalse(ChaosMain.parse(new String[] {"--duration", "10", "--seed", "1"}).membership());
        ChaosOptions o = ChaosMain.parse(new String[] {"--duration", "300", "--seed", "7", "--clients", "12"});
        assertEquals(Duration.ofSeconds(300), o.duration());
        assertEquals(7, o.seed());
        assertEquals(5, o.nodes());
        assertEquals(12, o.clients());
    }

    @Test
    void badUsageIsExitCodeTwoAndPlanOnlyPrintsTheSchedule() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, ChaosMain.run(new String[] {"--nodes", "3"}, new PrintStream(out), new PrintStream(err)));
        assertEquals(0, ChaosMain.run(new String[] {"--duration", "60", "--seed", "5", "--plan-only"},
                new PrintStream(out), new PrintStream(err)));
        assertEquals(FaultPlan.describe(FaultPlan.generate(5, 5, Duration.ofSeconds(60))), out.toString());
    }
}
