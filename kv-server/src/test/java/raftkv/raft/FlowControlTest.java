package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.only;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.VoteRequest;
import raftkv.raft.Message.VoteResponse;

/**
 * Batching and pipelining of AppendEntries (Raft thesis §10.2.1 and etcd's flow control): a
 * leader sends many entries per message, keeps several messages in flight to a follower it
 * knows, and probes one message at a time a follower whose log it has not found yet.
 */
class FlowControlTest {

    static List<AppendRequest> appendsTo(long to, List<Message> messages) {
        return only(AppendRequest.class, to, messages);
    }

    static List<Long> indexes(AppendRequest a) {
        return a.entries().stream().map(Entry::index).toList();
    }

    // §10.2.1: proposals made before one Ready travel to each follower in a single AppendEntries.
    @Test
    void proposalsBeforeOneReadyGoInOneAppend() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode leader = c.elect(1);

        leader.propose("a");
        leader.propose("b");
        leader.propose("c");
        Ready r = leader.ready();

        assertEquals(3, r.entries().size());
        for (long follower : List.of(2L, 3L)) {
            List<AppendRequest> appends = appendsTo(follower, r.messages());
            assertEquals(1, appends.size(), "one message to node " + follower);
            assertEquals(List.of(2L, 3L, 4L), indexes(appends.get(0)));
            assertEquals(1, appends.get(0).prevLogIndex());
        }
    }

    // §10.2.1: a leader replicating to a known follower pipelines AppendEntries without waiting, at most maxInflight at once.
    @Test
    void replicationPipelinesUpToMaxInflight() {
        Cluster c = new Cluster(Opts.PAPER.limits(1, 1 << 20, 3), THREE);
        TestNode leader = c.elect(1);

        for (int i = 0; i < 5; i++) leader.propose("p" + i); // indexes 2..6
        List<AppendRequest> first = appendsTo(2, leader.ready().messages());
        List<AppendRequest> none = appendsTo(2, leader.ready().messages());
        leader.takeSent();

        assertEquals(List.of(List.of(2L), List.of(3L), List.of(4L)), first.stream().map(FlowControlTest::indexes).toList(),
                "three in flight at once, one entry each");
        assertEquals(List.of(1L, 2L, 3L), first.stream().map(AppendRequest::prevLogIndex).toList());
        assertTrue(none.isEmpty(), "the pipeline is full");

        c.roundTrip(first.get(0));
        List<AppendRequest> next = appendsTo(2, leader.takeSent());
        assertEquals(List.of(List.of(5L)), next.stream().map(FlowControlTest::indexes).toList(), "one ack frees one slot");

        c.roundTrip(first.get(1));
        next = appendsTo(2, leader.takeSent());
        assertEquals(List.of(List.of(6L)), next.stream().map(FlowControlTest::indexes).toList());
    }

    // §5.3 with flow control: while the leader is still probing for a follower's log, one AppendEntries is in flight.
    @Test
    void probingSendsOneAppendAtATime() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode leader = c.node(1);
        PaperElectionTest.ticksUntilCampaign(leader);
        c.flush(m -> m instanceof VoteRequest || m instanceof VoteResponse);
        AppendRequest probe = appendsTo(2, leader.takeSent()).get(0);

        leader.propose("x");
        leader.propose("y");
        List<AppendRequest> whileProbing = appendsTo(2, leader.ready().messages());
        leader.takeSent();
        assertTrue(whileProbing.isEmpty(), "no second append before the probe is answered");

        c.roundTrip(probe);
        List<AppendRequest> after = appendsTo(2, leader.takeSent());
        assertEquals(1, after.size());
        assertEquals(List.of(2L, 3L), indexes(after.get(0)), "once found, the rest goes in one batch");
    }

    // Flow control: maxEntriesPerAppend caps the entries in one AppendEntries.
    @Test
    void maxEntriesPerAppendSplitsBatches() {
        Cluster c = new Cluster(Opts.PAPER.limits(2, 1 << 20, 256), THREE);
        TestNode leader = c.elect(1);

        for (int i = 0; i < 5; i++) leader.propose("p" + i);
        List<AppendRequest> appends = appendsTo(2, leader.ready().messages());

        assertEquals(List.of(List.of(2L, 3L), List.of(4L, 5L), List.of(6L)),
                appends.stream().map(FlowControlTest::indexes).toList());
    }

    // Flow control: maxBytesPerAppend is a soft cap: entries are added while they fit, and one entry always goes.
    @Test
    void maxBytesPerAppendLimitsBatches() {
        Cluster c = new Cluster(Opts.PAPER.limits(512, 100, 256), THREE);
        TestNode leader = c.elect(1);
        String thirty = "x".repeat(30); // 54 bytes with the entry overhead: two do not fit in 100

        leader.propose(thirty);
        leader.propose(thirty);
        leader.propose("y".repeat(200));
        List<AppendRequest> appends = appendsTo(2, leader.ready().messages());

        assertEquals(List.of(List.of(2L), List.of(3L), List.of(4L)), appends.stream().map(FlowControlTest::indexes).toList());
    }
}
