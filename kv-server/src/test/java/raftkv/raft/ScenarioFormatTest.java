package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The scenario runner itself: expectations are regenerated under their command, comments kept. */
class ScenarioFormatTest {
    @Test
    void outputIsRegeneratedUnderEachCommandAndCommentsAreKept() {
        String script = """
                # a single node elects itself
                cluster 1
                  stale line that must be replaced
                campaign 1
                status 1
                """;
        String expected = """
                # a single node elects itself
                cluster 1
                campaign 1
                  1 ready: soft LEADER term=1 leader=1
                  1 ready: hard term=1 vote=1
                  1 ready: entries 1/1(noop)
                  1 ready: commit 1/1(noop)
                status 1
                  1: LEADER term=1 leader=1 vote=1 commit=1 applied=1 log=1
                """;
        assertEquals(expected, ScenarioTest.replay(script));
    }
}
