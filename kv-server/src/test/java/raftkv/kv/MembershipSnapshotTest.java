package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static raftkv.kv.Feed.restore;
import static raftkv.kv.Feed.snapshot;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.Entry;
import raftkv.raft.Membership;

/** The membership travels in snapshots, so that it survives log compaction and InstallSnapshot. */
class MembershipSnapshotTest {

    @Test
    void theLastAppliedMembershipIsInTheSnapshot() throws IOException {
        KvStateMachine sm = new KvStateMachine();
        sm.apply(Entry.noop(1, 1));
        assertNull(sm.membership(), "no change applied: the initial membership holds");
        Membership grown = Membership.ofVoters(List.of(1L, 2L, 3L))
                .with(new Membership.Member(4, false, new Membership.Address("10.0.0.4", 8004, 9004)));
        sm.apply(Entry.config(2, 1, grown));
        assertEquals(2, sm.appliedIndex());

        byte[] bytes = snapshot(sm);
        KvStateMachine restored = restore(bytes);

        assertEquals(grown, restored.membership());
        assertArrayEquals(bytes, snapshot(restored));
    }

    @Test
    void aSnapshotWithoutChangesCarriesNoMembership() throws IOException {
        KvStateMachine sm = new KvStateMachine();
        sm.apply(Entry.noop(1, 1));
        assertNull(restore(snapshot(sm)).membership());
    }
}
