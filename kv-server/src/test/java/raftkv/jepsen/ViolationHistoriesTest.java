package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Hand-made histories that are not linearizable: the checker must reject each and show why. */
class ViolationHistoriesTest {
    private final HistoryBuilder h = new HistoryBuilder();

    private CheckResult assertViolation(String key) {
        CheckResult r = HistoryChecker.check(h.ops());
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), r::explain);
        assertEquals(key, r.violation().key(), r::explain);
        return r;
    }

    @Test
    void staleReadAfterAnAcknowledgedWrite() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).set("k", "b").ok(2);
        Op stale = h.op(3, 4, 5).getm("k").value("a", 1);
        CheckResult r = assertViolation("k");
        // the window: after set a, set b must come (it completes first), and then nothing can give the read its "a"
        assertEquals("\"a\"@1", r.violation().state());
        assertEquals(2, r.violation().blocking().id());
        assertTrue(r.violation().concurrent().stream().anyMatch(c -> c.op().equals(stale)), r::explain);
        assertTrue(r.explain().contains("then nothing left could write \"a\", which #3 still has to read"), r::explain);
    }

    @Test
    void staleReadWithoutVersions() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).set("k", "b").ok(2);
        h.op(3, 4, 5).get("k").value("a");
        assertViolation("k");
    }

    @Test
    void staleReadAfterAnotherReadSawTheNewValue() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 10).set("k", "b").ok(3);
        h.op(3, 3, 4).get("k").value("b");
        h.op(4, 5, 6).get("k").value("a");
        assertViolation("k");
    }

    @Test
    void lostWriteLaterReadsSeeAnEarlierValue() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).set("k", "b").ok(5);
        h.op(3, 10, 11).getm("k").value("a", 1);
        h.op(4, 20, 21).getm("k").value("a", 1);
        assertViolation("k");
    }

    @Test
    void lostWriteKeyStillAbsent() {
        h.op(1, 0, 1).set("k", "a").ok(3);
        h.op(2, 2, 3).get("k").notFound();
        assertViolation("k");
    }

    @Test
    void casSucceededTwiceOnOneVersion() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 5).cas("k", 1, "b").ok(2);
        h.op(3, 2, 5).cas("k", 1, "c").ok(3);
        assertViolation("k");
    }

    @Test
    void readOfAValueNeverWritten() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 0, 5).set("k", "b").info();
        Op read = h.op(3, 2, 3).get("k").value("zzz");
        CheckResult r = assertViolation("k");
        assertEquals(read, r.violation().blocking());
    }

    @Test
    void readOfAFailedWrite() {
        h.op(1, 0, 1).set("k", "a").fail();
        h.op(2, 2, 3).get("k").value("a");
        assertViolation("k");
    }

    @Test
    void versionGoesBackwards() {
        h.op(1, 0, 1).set("k", "a").ok(5);
        h.op(2, 2, 3).set("k", "b").ok(3);
        assertViolation("k");
    }

    @Test
    void readShowsAnotherVersionThanItsWriteGot() {
        h.op(1, 0, 1).set("k", "a").ok(3);
        h.op(2, 2, 3).getm("k").value("a", 4);
        assertViolation("k");
    }

    @Test
    void twoAcknowledgedWritesWithOneVersionOnOneKey() {
        h.op(1, 0, 5).set("k", "a").ok(4);
        h.op(2, 0, 5).set("k", "b").ok(4);
        assertViolation("k");
    }

    @Test
    void twoAcknowledgedWritesWithOneVersionOnTwoKeys() {
        h.op(1, 0, 1).set("x", "a").ok(4);
        h.op(2, 0, 1).set("y", "b").ok(4);
        CheckResult r = assertViolation("y");
        assertTrue(r.violation().reason().contains("two acknowledged writes got version 4"), r::explain);
    }

    @Test
    void readShowsTheVersionOfAWriteToAnotherKey() {
        // per key this passes (the info write to y could have got version 3); versions are store-wide
        h.op(1, 0, 1).set("x", "a").ok(3);
        h.op(2, 0, 1).set("y", "a").info();
        h.op(3, 2, 3).getm("y").value("a", 3);
        assertViolation("y");
    }

    @Test
    void infoWriteCannotTakeEffectBeforeItsInvocation() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).get("k").value("b");
        h.op(3, 4).set("k", "b").info();
        assertViolation("k");
    }

    @Test
    void deletedKeyReappears() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).delete("k").deleted();
        h.op(3, 4, 5).get("k").value("a");
        assertViolation("k");
    }

    @Test
    void theViolationOnOneKeyIsFoundAmongHealthyKeys() {
        h.op(1, 0, 1).set("x", "a").ok(1);
        h.op(2, 0, 1).set("y", "a").ok(2);
        h.op(3, 2, 3).set("y", "b").ok(4);
        h.op(4, 4, 5).get("x").value("a");
        h.op(5, 4, 5).get("y").value("a");
        assertViolation("y");
    }

    @Test
    void infoWriteVersionMustExceedTheOneItOverwrote() {
        h.op(1, 0, 1).set("k", "a").ok(5);
        h.op(2, 2, 3).set("k", "b").info();
        h.op(3, 4, 5).getm("k").value("b", 3);
        assertViolation("k");
    }

    @Test
    void casOnAVersionAlreadyOverwritten() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).set("k", "b").info();
        h.op(3, 4, 5).getm("k").value("b", 3);
        h.op(4, 6, 7).cas("k", 1, "c").ok(8);
        assertViolation("k");
    }

    @Test
    void hiddenVersionCannotBeOneAnotherKeysWriteGot() {
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).set("k", "b").info();
        h.op(3, 2, 3).set("x", "z").ok(4);
        h.op(4, 5, 6).cas("k", 4, "c").ok(7);
        assertViolation("k");
    }

    @Test
    void twoReadsShowOneVersionWithDifferentValues() {
        h.op(1, 0, 1).set("k", "a").info();
        h.op(2, 0, 1).set("k", "b").info();
        h.op(3, 2, 3).getm("k").value("a", 4);
        h.op(4, 4, 5).getm("k").value("b", 4);
        assertViolation("k");
    }
}
