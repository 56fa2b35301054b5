package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.VoteResponse;

/** Issue 10, item 6: the cluster id on every peer message, checked and logged once per sender. */
class ClusterGuardTest {
    private final List<String> reported = new ArrayList<>();
    private final ClusterGuard guard = new ClusterGuard(1, 0xabcL, reported::add);

    @Test
    void admitsOnlyThisClustersIdAndReportsEachForeignSenderOnce() {
        assertTrue(guard.admits(0xabcL, "AppendEntries from", 2));
        assertTrue(reported.isEmpty());

        for (int i = 0; i < 100; i++) assertFalse(guard.admits(0xdefL, "AppendEntries from", 2));
        assertEquals(1, reported.size(), "a misconfigured node retries for ever: one line, not one per message");
        assertTrue(reported.get(0).contains("refusing AppendEntries from node 2: it carries cluster id def, this cluster's is abc"),
                reported.get(0));

        assertFalse(guard.admits(0, "RequestVote from", 3));
        assertEquals(2, reported.size(), "another sender gets its own line");
        assertTrue(reported.get(1).contains("cluster id 0 (missing)"), reported.get(1));
    }

    @Test
    void stampsItsIdOnWhatItSends() {
        assertEquals(0xabcL, guard.stamp(AppendRequest.newBuilder().setTerm(3).build()).getClusterId());
        assertEquals(3, guard.stamp(AppendRequest.newBuilder().setTerm(3).build()).getTerm());
        assertEquals(0xabcL, guard.stamp(VoteResponse.getDefaultInstance()).getClusterId());
    }

    // A node joining with --join takes the id of the first cluster that contacts it, then keeps it.
    @Test
    void aJoiningNodeBindsToTheFirstClusterThatContactsIt() {
        List<Long> persisted = new ArrayList<>();
        guard.bindOnFirstContact(persisted::add);
        assertFalse(guard.admits(0, "AppendEntries from", 2), "a missing id binds nothing");
        assertTrue(guard.admits(0xdefL, "AppendEntries from", 2));
        assertEquals(List.of(0xdefL), persisted);
        assertEquals(0xdefL, guard.stamp(VoteResponse.getDefaultInstance()).getClusterId());
        assertFalse(guard.admits(0xabcL, "AppendEntries from", 3), "bound for good");
        assertEquals(List.of(0xdefL), persisted);
    }

    @Test
    void zeroIsNeverAClusterId() {
        assertThrows(IllegalArgumentException.class, () -> new ClusterGuard(1, 0));
    }
}
