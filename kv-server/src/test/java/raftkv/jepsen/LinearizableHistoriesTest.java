package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-made histories that are linearizable: the checker must accept each. */
class LinearizableHistoriesTest {
    private final HistoryBuilder h = new HistoryBuilder();

    private void assertLinearizable() {
        CheckResult r = HistoryChecker.check(h.ops());
        assertEquals(Verdict.LINEARIZABLE, r.verdict(), r::explain);
    }

    @Test
    void emptyHistory() {
        assertLinearizable();
    }

    @Test
    void sequentialOperationsOfEveryKind() {
        h.op(1, 0, 1).get("k").notFound();
        h.op(1, 2, 3).set("k", "a").ok(1);
        h.op(1, 4, 5).get("k").value("a");
        h.op(1, 6, 7).getm("k").value("a", 1);
        h.op(1, 8, 9).cas("k", 1, "b").ok(4);
        h.op(1, 10, 11).cas("k", 1, "c").mismatch();
        h.op(1, 12, 13).getm("k").value("b", 4);
        h.op(1, 14, 15).delete("k").deleted();
        h.op(1, 16, 17).getm("k").notFound();
        h.op(1, 18, 19).cas("k", 4, "d").notFound();
        h.op(1, 20, 21).delete("k").notFound();
        h.op(1, 22, 23).set("k", "e").ok(9);
        h.op(1, 24, 25).getm("k").value("e", 9);
        assertLinearizable();
    }

    @Test
    void concurrentWritesWithReadsSeeingEither() {
        h.op(1, 0, 10).set("k", "a").ok(1);
        h.op(2, 0, 10).set("k", "b").ok(2);
        h.op(3, 1, 9).getm("k").value("a", 1);
        h.op(4, 2, 9).getm("k").value("b", 2);
        h.op(5, 11, 12).getm("k").value("b", 2);
        assertLinearizable();
    }

    @Test
    void concurrentWritesLandInVersionOrderNotInvocationOrder() {
        h.op(1, 0, 10).set("k", "a").ok(7);
        h.op(2, 1, 10).set("k", "b").ok(3);
        h.op(3, 11, 12).get("k").value("a");
        assertLinearizable();
    }

    @Test
    void infoWriteThatTookEffect() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).set("k", "b").info();
        h.op(3, 10, 11).getm("k").value("b", 5);
        h.op(4, 12, 13).set("k", "c").ok(7);
        h.op(5, 14, 15).getm("k").value("c", 7);
        assertLinearizable();
    }

    @Test
    void infoWriteThatNeverTookEffect() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2).set("k", "b").info();
        h.op(3, 10, 11).getm("k").value("a", 1);
        h.op(4, 20, 21).get("k").value("a");
        assertLinearizable();
    }

    @Test
    void infoWriteThatTookEffectLongAfterItsClientGaveUp() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).set("k", "b").info();
        h.op(3, 10, 11).getm("k").value("a", 1);
        h.op(4, 20, 21).getm("k").value("b", 4);
        assertLinearizable();
    }

    @Test
    void infoCasAndInfoDeleteMayExplainWhatReadsSee() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).cas("k", 1, "b").info();
        h.op(3, 4, 5).getm("k").value("b", 3);
        h.op(4, 6, 7).delete("k").info();
        h.op(5, 8, 9).get("k").notFound();
        assertLinearizable();
    }

    @Test
    void casRaceWhereOneWins() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 10).cas("k", 1, "b").mismatch();
        h.op(3, 2, 10).cas("k", 1, "c").ok(3);
        h.op(4, 2, 10).cas("k", 1, "d").info();
        h.op(5, 11, 12).getm("k").value("c", 3);
        assertLinearizable();
    }

    @Test
    void deleteThenNotFound() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(1, 2, 3).delete("k").deleted();
        h.op(2, 4, 5).get("k").notFound();
        h.op(3, 4, 5).cas("k", 1, "x").notFound();
        h.op(4, 6, 7).delete("k").notFound();
        assertLinearizable();
    }

    @Test
    void readsOfAWriteThatOverlapsThem() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 10).set("k", "b").ok(3);
        h.op(3, 3, 4).getm("k").value("a", 1);
        h.op(4, 5, 6).getm("k").value("b", 3);
        h.op(5, 7, 8).getm("k").value("b", 3);
        h.op(6, 11, 12).get("k").value("b");
        assertLinearizable();
    }

    @Test
    void failedWritesAndInfoReadsAreIgnored() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).set("k", "bad").fail();
        h.op(3, 2, 3).get("k").info();
        h.op(4, 4, 5).get("k").value("a");
        assertLinearizable();
    }

    @Test
    void equalTimesCountAsConcurrent() {
        h.op(1, 0, 5).set("k", "a").ok(1);
        h.op(2, 5, 6).get("k").notFound();
        assertLinearizable();
    }

    @Test
    void keysAreIndependent() {
        h.op(1, 0, 1).set("x", "a").ok(1);
        h.op(2, 0, 1).set("y", "a").ok(2);
        h.op(3, 2, 3).getm("x").value("a", 1);
        h.op(4, 2, 3).getm("y").value("a", 2);
        h.op(5, 4, 5).get("z").notFound();
        CheckResult r = HistoryChecker.check(h.ops());
        assertEquals(Verdict.LINEARIZABLE, r.verdict(), r::explain);
        assertEquals(List.of("x", "y", "z"), r.keys().stream().map(KeyResult::key).toList());
    }

    @Test
    void casMatchingTheHiddenVersionOfAnInfoWrite() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).set("k", "b").info();
        h.op(3, 5, 6).cas("k", 4, "c").ok(7);
        h.op(4, 8, 9).getm("k").value("c", 7);
        assertLinearizable();
    }

    @Test
    void pendingOperationsNeverCompleted() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2).set("k", "b").info();
        h.op(3, 2).get("k").info();
        h.op(4, 5, 6).get("k").value("b");
        assertLinearizable();
    }
}
