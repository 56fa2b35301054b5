package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Histories the size of a chaos run (10,000 operations, 50 clients, 10 to 20 keys, some of them
 * indeterminate) are decided within the default budget, passing and failing alike. The verdict
 * is asserted; the time is printed, not asserted.
 */
class CheckerPerformanceTest {
    @ParameterizedTest(name = "{1} keys, info rate {2}")
    @CsvSource({"1, 15, 0.02", "2, 10, 0.05", "3, 20, 0.10"})
    void tenThousandOperations(long seed, int keys, double infoRate) {
        List<Op> h = RandomHistories.generate(new RandomHistories.Params(seed, 50, keys, 10_000, infoRate, 0.01, 60, 20));
        CheckResult pass = HistoryChecker.check(h);
        System.out.println("[perf] " + pass.summary());
        assertEquals(Verdict.LINEARIZABLE, pass.verdict(), pass::explain);

        assertCaught("stale read", Mutations.staleRead(h, new SplittableRandom(seed)).orElseThrow());
        assertCaught("swapped versions", Mutations.swapVersions(h, new SplittableRandom(seed)).orElseThrow());
    }

    private static void assertCaught(String what, Mutations.Mutated m) {
        CheckResult fail = HistoryChecker.check(m.history());
        System.out.println("[perf] " + what + " at " + m.op().describe() + ": " + fail.summary());
        assertEquals(Verdict.NOT_LINEARIZABLE, fail.verdict(), fail::summary);
        assertEquals(m.op().key(), fail.violation().key());
    }
}
