package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The checker against {@link BruteForce} on thousands of tiny random one-key histories, most of
 * them not linearizable: the verdicts must agree. Outcomes are drawn from small domains (two
 * values, versions 1 to 5) so that histories land on both sides.
 */
class BruteForceDifferentialTest {
    private static final String[] VALUES = {"a", "b"};

    static List<Op> randomHistory(SplittableRandom r) {
        int n = 2 + r.nextInt(6);
        List<Op> ops = new ArrayList<>();
        for (int id = 1; id <= n; id++) {
            long invoke = r.nextInt(12);
            long complete = invoke + r.nextInt(6);
            String value = VALUES[r.nextInt(VALUES.length)];
            long version = 1 + r.nextInt(5);
            Call call;
            Outcome out;
            switch (r.nextInt(5)) {
                case 0 -> {
                    call = new Call.Set("k", value);
                    out = new Outcome.Ok(version);
                }
                case 1 -> {
                    call = r.nextBoolean() ? new Call.Get("k") : new Call.GetM("k");
                    out = r.nextInt(4) == 0 ? new Outcome.NotFound()
                            : new Outcome.Value(VALUES[r.nextInt(VALUES.length)], call instanceof Call.GetM ? 1 + r.nextInt(5) : 0);
                }
                case 2 -> {
                    call = new Call.Cas("k", 1 + r.nextInt(5), value);
                    int k = r.nextInt(3);
                    out = k == 0 ? new Outcome.Ok(version) : k == 1 ? new Outcome.VersionMismatch() : new Outcome.NotFound();
                }
                case 3 -> {
                    call = new Call.Delete("k");
                    out = r.nextBoolean() ? new Outcome.Deleted() : new Outcome.NotFound();
                }
                default -> {
                    call = r.nextBoolean() ? new Call.Set("k", value) : new Call.Cas("k", 1 + r.nextInt(5), value);
                    out = new Outcome.Info("ERR_TIMEOUT");
                }
            }
            if (r.nextInt(8) == 0) out = new Outcome.Info("lost");
            ops.add(new Op(id, id, call, out, invoke, complete));
        }
        return ops;
    }

    @Test
    void checkerAgreesWithBruteForce() {
        SplittableRandom r = new SplittableRandom(42);
        int linearizable = 0;
        int cases = 10_000;
        for (int i = 0; i < cases; i++) {
            List<Op> h = randomHistory(r);
            boolean expected = BruteForce.linearizable(h);
            CheckResult got = HistoryChecker.check(h);
            int index = i;
            assertEquals(expected ? Verdict.LINEARIZABLE : Verdict.NOT_LINEARIZABLE, got.verdict(),
                    () -> "case " + index + "\n" + String.join("\n", h.stream().map(Op::toString).toList()) + "\n" + got.explain());
            if (expected) linearizable++;
        }
        System.out.println("[brute force] " + linearizable + " of " + cases + " random histories linearizable");
        assertTrue(linearizable > cases / 10 && linearizable < cases * 9 / 10, "both verdicts well represented: " + linearizable);
    }
}
