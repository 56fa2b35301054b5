package raftkv.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.Message;
import raftkv.raft.RaftConfig;
import raftkv.raft.Ready;
import raftkv.raft.Role;
import raftkv.raft.SnapshotMeta;

/** A node's part in snapshots, as the real node does it: take, ship the newest, install what came. */
class SimNodeTest {
    private final Invariants invariants = new Invariants(3);

    /** Persists all of a Ready, applies it and advances, as the simulation does without faults. */
    private void handleReady(SimNode n) {
        Ready r = n.core.ready();
        n.persistPrefix(r, SimNode.writeCount(r), invariants);
        for (Entry e : r.committedEntries()) {
            invariants.onApply(n, e);
            n.apply(e);
        }
        n.core.advance(r);
        // As NodeStep: the leader's sync may have committed its own entries (a cluster of one).
        if (n.core.hasCommittedToApply()) handleReady(n);
    }

    /** A one-node cluster's leader that has applied its no-op (index 1) and {@code writes} writes. */
    private SimNode leaderWithWrites(int writes) {
        SimNode n = new SimNode(1, RaftConfig.of(1, List.of(1L), 10, 1), 0.1);
        n.start(new SplittableRandom(1));
        while (n.core.role() != Role.LEADER) {
            n.core.tick();
            handleReady(n);
        }
        write(n, writes);
        return n;
    }

    private void write(SimNode n, int writes) {
        for (int i = 0; i < writes; i++) {
            n.core.propose(ByteString.copyFromUtf8("w" + i));
            handleReady(n);
        }
    }

    @Test
    void aSnapshotDeletesTheDiskLogButTheCoreKeepsTheLastEntries() {
        SimNode n = leaderWithWrites(20);
        assertEquals(21, n.applied);
        n.takeSnapshot(5, invariants);
        assertEquals(new SnapshotMeta(21, n.core.term()), n.disk.snapshot);
        assertEquals(new Register(21), n.disk.snapshotState);
        assertEquals(List.of(), n.disk.entries);
        assertEquals(16, n.core.snapshotMeta().index());
        assertNotNull(n.core.entry(17), "the core keeps 5 entries for slow followers");

        write(n, 10);
        n.takeSnapshot(50, invariants);
        assertEquals(31, n.disk.snapshot.index());
        assertEquals(16, n.core.snapshotMeta().index(), "the core never moves its snapshot point back");

        write(n, 3);
        n.takeSnapshot(0, invariants);
        assertEquals(34, n.core.snapshotMeta().index());
        assertEquals(n.disk.snapshot, n.core.snapshotMeta());
    }

    @Test
    void aSnapshotRequestNamesTheNewestSnapshotOnDiskAndCarriesItsState() {
        SimNode n = leaderWithWrites(20);
        n.takeSnapshot(10, invariants);
        SnapshotMeta corePoint = n.core.snapshotMeta();
        assertEquals(11, corePoint.index());

        SimNetwork.Packet p = n.packet(new Message.SnapshotRequest(1, 2, n.core.term(), corePoint));
        assertEquals(new Message.SnapshotRequest(1, 2, n.core.term(), n.disk.snapshot), p.message());
        assertEquals(new Register(21), p.snapshotState());

        Message heartbeat = new Message.AppendRequest(1, 2, n.core.term(), 21, n.core.term(), List.of(), 21, 0);
        assertNull(n.packet(heartbeat).snapshotState());
    }

    @Test
    void aSnapshotRequestNewerThanTheDiskSnapshotFailsLoudly() {
        SimNode n = leaderWithWrites(20);
        n.takeSnapshot(0, invariants);
        SnapshotMeta ahead = new SnapshotMeta(25, n.core.term());
        SafetyViolation v = assertThrows(SafetyViolation.class,
                () -> n.packet(new Message.SnapshotRequest(1, 2, n.core.term(), ahead)));
        assertTrue(v.getMessage().contains("newest on its disk"), v.getMessage());
    }

    /** Node 2 of three, with entries 1..3 of term 1 on disk. */
    private static SimNode followerWithEntries() {
        SimNode n = new SimNode(2, RaftConfig.of(2, List.of(1L, 2L, 3L), 10, 1), 0.1);
        n.disk.saveHardState(new HardState(1, 0));
        for (long i = 1; i <= 3; i++) n.disk.append(Entry.normal(i, 1, ByteString.copyFromUtf8("w" + i)));
        n.start(new SplittableRandom(2));
        return n;
    }

    /** The snapshot at 10 of term 2 that node 1 took, and the request that streams it to node 2. */
    private SimNetwork.Packet snapshotFromLeader() {
        SnapshotMeta meta = new SnapshotMeta(10, 2);
        SimNode leader = new SimNode(1, RaftConfig.of(1, List.of(1L, 2L, 3L), 10, 1), 0.1);
        invariants.onCommit(leader, Entry.normal(10, 2, ByteString.copyFromUtf8("w10")));
        invariants.onSnapshot(leader, meta, new Register(10));
        return new SimNetwork.Packet(new Message.SnapshotRequest(1, 2, 2, meta), new Register(10));
    }

    @Test
    void aFollowerInstallsTheStateThatCameWithTheRequest() {
        SimNetwork.Packet p = snapshotFromLeader();
        SimNode n = followerWithEntries();
        n.receive(p, invariants);
        handleReady(n);
        assertEquals(new Register(10), n.state);
        assertEquals(10, n.applied);
        assertEquals(new SnapshotMeta(10, 2), n.disk.snapshot);
        assertEquals(new Register(10), n.disk.snapshotState);
        assertEquals(List.of(), n.disk.entries);
    }

    @Test
    void aFollowerCannotInstallASnapshotThatDidNotComeWithARequest() {
        SimNetwork.Packet p = snapshotFromLeader();
        SimNode n = followerWithEntries();
        n.core.step(p.message()); // the core accepts it, but no state was kept for it
        Ready r = n.core.ready();
        assertThrows(SafetyViolation.class, () -> n.persistPrefix(r, SimNode.writeCount(r), invariants));
    }

    @Test
    void aCrashDuringAnInstallRestartsFromTheOldDiskOrFromTheSnapshotAlone() {
        SimNetwork.Packet p = snapshotFromLeader();
        for (int kept = 0; kept <= 2; kept++) {
            SimNode n = followerWithEntries();
            n.receive(p, invariants);
            Ready r = n.core.ready();
            assertEquals(2, SimNode.writeCount(r), "the new term, then the snapshot");
            n.persistPrefix(r, kept, invariants);
            n.crash();
            n.start(new SplittableRandom(kept));
            if (kept < 2) {
                assertEquals(SnapshotMeta.NONE, n.core.snapshotMeta());
                assertEquals(3, n.core.status().lastIndex());
                assertEquals(Register.EMPTY, n.state);
            } else {
                assertEquals(new SnapshotMeta(10, 2), n.core.snapshotMeta());
                assertEquals(10, n.core.status().lastIndex());
                assertEquals(new Register(10), n.state);
                assertEquals(10, n.applied);
            }
        }
    }
}
