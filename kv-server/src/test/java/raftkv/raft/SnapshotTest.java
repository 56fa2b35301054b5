package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.append;
import static raftkv.raft.Fixtures.entry;
import static raftkv.raft.Fixtures.log;
import static raftkv.raft.Fixtures.only;
import static raftkv.raft.RaftCore.NONE;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.SnapshotRequest;
import raftkv.raft.Message.SnapshotResponse;

/** Raft paper §7: log compaction, and InstallSnapshot for followers that need what was compacted. */
class SnapshotTest {
    private static final int E = Fixtures.ELECTION_TICKS;
    private static final SnapshotMeta AT_5 = new SnapshotMeta(5, 1);

    /** Node 3 was cut off from the start; nodes 1 (leader) and 2 committed entries 1..5 and node 1 compacted them. */
    static Cluster leaderCompactedPastNode3() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.isolate(3);
        TestNode leader = c.elect(1);
        for (int i = 2; i <= 5; i++) leader.propose("v" + i);
        c.flush();
        assertEquals(5, leader.commit());
        leader.compact(5);
        assertEquals(6, leader.status().firstIndex());
        return c;
    }

    // §7: a leader that has discarded entries a follower needs sends it InstallSnapshot instead.
    @Test
    void leaderSendsSnapshotToFollowerNeedingCompactedEntries() {
        Cluster c = leaderCompactedPastNode3();
        TestNode leader = c.node(1);
        leader.propose("after");
        c.heal();

        c.tickAll(1);
        c.tickAll(1);

        assertEquals(List.of(new SnapshotRequest(1, 3, 1, AT_5)), only(SnapshotRequest.class, c.delivered()));
        TestNode follower = c.node(3);
        assertEquals(AT_5, follower.diskSnapshot());
        assertEquals(leader.logTerms(), follower.logTerms(), "entry 6 follows the snapshot");
        assertEquals(6, follower.status().firstIndex());
        assertEquals(6, follower.commit());
    }

    // §7: while the follower installs a snapshot, the leader sends it no AppendEntries.
    @Test
    void leaderWaitsForSnapshotBeforeAppending() {
        Cluster c = leaderCompactedPastNode3();
        TestNode leader = c.node(1);
        leader.elapse(1);
        assertEquals(1, only(SnapshotRequest.class, 3, leader.takeSent()).size());

        leader.propose("more");
        Ready r = leader.ready();

        assertTrue(only(AppendRequest.class, 3, r.messages()).isEmpty());
        assertTrue(only(SnapshotRequest.class, 3, r.messages()).isEmpty(), "one snapshot at a time");
    }

    // §7: a snapshot that is lost is sent again after an election timeout.
    @Test
    void lostSnapshotIsSentAgain() {
        Cluster c = leaderCompactedPastNode3();

        c.tickAll(1); // the first SnapshotRequest is lost: node 3 is still cut off
        c.heal();
        c.tickAll(E);

        assertEquals(1, only(SnapshotRequest.class, c.delivered()).size());
        assertEquals(AT_5, c.node(3).diskSnapshot());
    }

    // A follower whose disk was wiped (a new, empty data folder) refuses the entry it had acknowledged:
    // with nothing new to send, the leader must still notice, probe it from scratch and send the snapshot.
    @Test
    void followerThatLostItsLogIsBroughtBackBySnapshotWhileTheLeaderIsIdle() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        for (int i = 2; i <= 5; i++) leader.propose("v" + i);
        c.flush();
        assertEquals(5, c.node(3).status().lastIndex());
        leader.compact(5);
        c.restore(3, HardState.INITIAL, List.of());

        c.tickAll(2 * E);

        TestNode follower = c.node(3);
        assertEquals(List.of(new SnapshotRequest(1, 3, 1, AT_5)), only(SnapshotRequest.class, c.delivered()));
        assertEquals(AT_5, follower.diskSnapshot());
        assertEquals(leader.status().lastIndex(), follower.status().lastIndex());
    }

    // A follower that lost its log but whose entries the leader still holds is sent them again by AppendEntries.
    @Test
    void followerThatLostItsLogGetsTheEntriesAgainWhenTheLeaderStillHasThem() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        for (int i = 2; i <= 5; i++) leader.propose("v" + i);
        c.flush();
        c.restore(3, HardState.INITIAL, List.of());

        c.tickAll(2 * E);

        assertEquals(leader.logTerms(), c.node(3).logTerms());
        assertEquals(5, c.node(3).commit());
        assertTrue(only(SnapshotRequest.class, c.delivered()).isEmpty());
    }

    // §7: a follower that receives a snapshot beyond its log discards the log; it reports the snapshot and restarts after it.
    @Test
    void followerInstallsSnapshotAndItsLogRestartsAfterIt() {
        TestNode follower = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(2, NONE), log(1, 1));
        SnapshotMeta at10 = new SnapshotMeta(10, 2);

        follower.step(new SnapshotRequest(1, 2, 2, at10));
        Ready r = follower.ready();

        assertEquals(at10, r.snapshot());
        assertTrue(r.entries().isEmpty());
        assertTrue(r.committedEntries().isEmpty(), "the snapshot replaces applying entries 1..10");
        assertEquals(List.of(new SnapshotResponse(2, 1, 2, 10)), r.messages());
        assertEquals(new Status(2, Role.FOLLOWER, 2, 1, NONE, 10, 10, 10, 11), follower.status());

        follower.step(append(1, 2, 2, 10, 2, List.of(entry(11, 2)), 11));
        Ready next = follower.ready();

        assertTrue(only(AppendResponse.class, next.messages()).get(0).success());
        assertEquals(List.of(entry(11, 2)), next.committedEntries());
        assertEquals(List.of(entry(11, 2)), follower.diskEntries());
    }

    // §7: if the follower's log holds the snapshot's last entry (same index and term), it keeps the entries after it.
    @Test
    void followerHoldingSnapshotEntryKeepsItsLog() {
        TestNode follower = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(2, NONE), log(1, 1, 2, 2, 2));

        follower.step(new SnapshotRequest(1, 2, 2, new SnapshotMeta(4, 2)));
        Ready r = follower.ready();

        assertNull(r.snapshot());
        assertEquals(5, follower.lastIndex());
        assertEquals(4, follower.commit(), "everything up to the snapshot is committed");
        assertEquals(4, only(SnapshotResponse.class, r.messages()).get(0).matchIndex());
    }

    // §7: a snapshot older than the follower's commit index is not installed; the answer carries the commit index.
    @Test
    void staleSnapshotIsAnsweredWithCommitIndex() {
        TestNode follower = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(1, NONE), log(1, 1, 1));
        follower.step(append(1, 2, 1, 3, 1, List.of(), 3)).ready();

        follower.step(new SnapshotRequest(1, 2, 1, new SnapshotMeta(2, 1)));
        Ready r = follower.ready();

        assertNull(r.snapshot());
        assertEquals(3, follower.lastIndex());
        assertEquals(List.of(new SnapshotResponse(2, 1, 1, 3)), r.messages());
    }
}
