package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Linearizable-by-construction histories ({@link RandomHistories}) must pass; the same histories
 * with one read changed so that no linearization exists ({@link Mutations}) must fail, on the key
 * of the changed read. Seeded: a failure names the seed that replays it.
 */
class RandomizedCheckerTest {
    static LongStream seeds() {
        return LongStream.range(0, 60);
    }

    private static RandomHistories.Params params(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        // from sequential-ish to crowded, and from no lost replies to many
        return new RandomHistories.Params(seed, 2 + r.nextInt(12), 1 + r.nextInt(4), 100 + r.nextInt(400),
                r.nextInt(4) * 0.05, 0.02, 10 + r.nextInt(60), r.nextInt(30));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void generatedHistoriesAreLinearizable(long seed) {
        List<Op> h = RandomHistories.generate(params(seed));
        CheckResult r = HistoryChecker.check(h);
        assertEquals(Verdict.LINEARIZABLE, r.verdict(), () -> "seed " + seed + "\n" + r.explain());
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aReadOfAValueNeverWrittenIsCaught(long seed) {
        assertCaught(seed, Mutations::valueNeverWritten);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aStaleReadIsCaught(long seed) {
        assertCaught(seed, Mutations::staleRead);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aWrongVersionIsCaught(long seed) {
        assertCaught(seed, Mutations::wrongVersion);
    }

    // Few distinct values: reads are ambiguous and only versions tell writes apart, so the search does the work.
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void withFewValuesGeneratedHistoriesPassAndSwappedVersionsFail(long seed) {
        RandomHistories.Params p = params(seed);
        List<Op> h = RandomHistories.generate(new RandomHistories.Params(seed, p.processes(), p.keys(), p.ops(), p.infoRate(),
                p.failRate(), p.maxDuration(), p.maxGap(), 3));
        CheckResult pass = HistoryChecker.check(h);
        assertEquals(Verdict.LINEARIZABLE, pass.verdict(), () -> "seed " + seed + "\n" + pass.explain());
        assertCaught(seed, h, Mutations::swapVersions);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void swappedVersionsAreCaught(long seed) {
        assertCaught(seed, Mutations::swapVersions);
    }

    private static void assertCaught(long seed, BiFunction<List<Op>, SplittableRandom, Optional<Mutations.Mutated>> mutation) {
        assertCaught(seed, RandomHistories.generate(params(seed)), mutation);
    }

    private static void assertCaught(long seed, List<Op> h, BiFunction<List<Op>, SplittableRandom, Optional<Mutations.Mutated>> mutation) {
        Optional<Mutations.Mutated> m = mutation.apply(h, new SplittableRandom(seed));
        if (m.isEmpty()) return; // no read fits this mutation in this history
        CheckResult r = HistoryChecker.check(m.get().history());
        String why = "seed " + seed + ", mutated " + m.get().op() + "\n" + r.explain();
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), why);
        assertEquals(m.get().op().key(), r.violation().key(), why);
        assertTrue(r.violation().blocking() != null, why);
    }
}
