package raftkv.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import raftkv.raft.Role;

/** /readyz's rule: a known leader, and everything known committed applied (SPEC 10). */
class ReadinessTest {
    private static NodeMetrics.RaftView view(long leader, long commit, long applied) {
        return new NodeMetrics.RaftView(4, Role.FOLLOWER, leader, commit, applied, commit, 0, 0, 0);
    }

    @Test
    void readyWithALeaderAndNothingLeftToApply() {
        assertEquals(Optional.empty(), Readiness.notReadyBecause(view(2, 10, 10)));
        assertEquals(Optional.empty(), Readiness.notReadyBecause(view(0, 0, 0)), "node 0 is a valid leader id");
    }

    @Test
    void notReadyWithoutALeaderWhileCatchingUpOrWhenTheLoopDoesNotAnswer() {
        assertTrue(Readiness.notReadyBecause(view(-1, 10, 10)).orElseThrow().startsWith("no known leader"));
        assertEquals("applied 7 of 10 committed entries", Readiness.notReadyBecause(view(2, 10, 7)).orElseThrow());
        assertTrue(Readiness.notReadyBecause(null).isPresent());
    }
}
