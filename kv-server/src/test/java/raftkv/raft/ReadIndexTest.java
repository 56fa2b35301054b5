package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.FIVE;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.append;
import static raftkv.raft.Fixtures.only;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.ReadIndexRequest;
import raftkv.raft.Message.ReadIndexResponse;
import raftkv.raft.Message.VoteRequest;
import raftkv.raft.Message.VoteResponse;

/** Raft thesis §6.4: linearizable reads without writing to the log (ReadIndex). */
class ReadIndexTest {

    /** Node 1 elected leader of three by hand; its first AppendEntries (with the no-op) are still undelivered. */
    static Cluster electedWithNoopPending() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        PaperElectionTest.ticksUntilCampaign(c.node(1));
        c.flush(m -> m instanceof VoteRequest || m instanceof VoteResponse);
        assertEquals(Role.LEADER, c.node(1).role());
        return c;
    }

    /** {@code follower} starts read {@code requestId}: its one ReadIndex request, taken from its outbox. */
    private static ReadIndexRequest askLeader(TestNode follower, long requestId) {
        follower.readIndex(requestId);
        ReadIndexRequest request = only(ReadIndexRequest.class, follower.ready().messages()).get(0);
        follower.takeSent();
        return request;
    }

    // §6.4: a node that knows no leader (a candidate, a follower before any leader) refuses the read at once.
    @Test
    void readWithoutKnownLeaderReturnsFalse() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode follower = c.node(2);
        TestNode candidate = PaperTermTest.inRole(Role.CANDIDATE);

        assertFalse(follower.readIndex(1), "no leader known yet");
        assertFalse(candidate.readIndex(1));
        assertTrue(follower.ready().messages().isEmpty());
        assertTrue(follower.ready().readStates().isEmpty());
    }

    // §6.4: the leader releases a read only after a majority acknowledges a message it sent after the read arrived.
    @Test
    void readReleasedOnlyAfterQuorumAcksMessageSentAfterRead() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        c.tickAll(1);
        leader.elapse(1);
        AppendRequest sentBefore = only(AppendRequest.class, 2, leader.takeSent()).get(0);

        assertTrue(leader.readIndex(7));
        Ready r = leader.ready();
        AppendRequest sentAfter = only(AppendRequest.class, 2, r.messages()).get(0);
        leader.takeSent();
        assertTrue(r.readStates().isEmpty());
        assertTrue(sentAfter.entries().isEmpty(), "the read is confirmed by a heartbeat, not a log write");
        assertTrue(sentAfter.readSeq() > sentBefore.readSeq());

        c.roundTrip(sentBefore);
        assertTrue(leader.readStates().isEmpty(), "an answer to a message sent before the read proves nothing");
        c.roundTrip(sentAfter);

        assertEquals(List.of(new ReadState(7, 1)), leader.readStates(), "leader + node 2 is a majority; index = commit at the read");
    }

    // §6.4: a new leader holds reads until it has committed an entry of its own term (its no-op).
    @Test
    void readsWaitForLeaderToCommitEntryOfItsTerm() {
        Cluster c = electedWithNoopPending();
        TestNode leader = c.node(1);

        assertTrue(leader.readIndex(9));
        leader.elapse(1);
        c.flush(m -> !(m instanceof AppendRequest a) || a.entries().isEmpty()); // heartbeats answered, no-op held back
        assertEquals(0, leader.commit());
        assertTrue(leader.readStates().isEmpty(), "a majority answered, but commitIndex may still be stale");

        c.flush();

        assertEquals(1, leader.commit());
        assertEquals(List.of(new ReadState(9, 1)), leader.readStates());
    }

    // §6.4: reads that arrive before the next message share one round of heartbeats and are released in order.
    @Test
    void readsInOneRoundShareOneHeartbeat() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);

        leader.readIndex(1);
        leader.readIndex(2);
        List<AppendRequest> beats = only(AppendRequest.class, 2, leader.ready().messages());
        leader.takeSent();
        assertEquals(1, beats.size());
        c.roundTrip(beats.get(0));

        assertEquals(List.of(new ReadState(1, 1), new ReadState(2, 1)), leader.readStates());
    }

    // A flood of reads must not make each acknowledgement scan every waiting read (AbuseIT's pipelined
    // gets found that): release asks about the oldest reads only, up to the first not confirmed.
    @Test
    void releaseLooksOnlyAsFarAsTheFirstUnconfirmedRead() {
        ReadIndex reads = new ReadIndex();
        for (int i = 0; i < 10_000; i++) {
            reads.add(new ReadIndex.Read(1, i), 7);
            reads.markBroadcast(); // each read a round of its own
        }
        int[] asked = {0};
        List<Long> released = new java.util.ArrayList<>();
        reads.release((read, seq) -> {
            asked[0]++;
            return seq <= 3;
        }, (read, index) -> released.add(read.id()));
        assertEquals(List.of(0L, 1L, 2L), released);
        assertEquals(4, asked[0], "three released, one refused, none of the 9,996 others asked about");
    }

    // §6.4: a single-server leader is its own majority: a read is released at once.
    @Test
    void singleNodeLeaderReleasesReadAtOnce() {
        TestNode n = TestNode.fresh(Opts.THESIS.config(1, List.of(1L)));
        PaperElectionTest.ticksUntilCampaign(n);

        assertTrue(n.readIndex(3));
        Ready r = n.ready();

        assertEquals(List.of(new ReadState(3, 1)), r.readStates());
    }

    // §6.4: a leader that steps down before confirming its reads reports them as dropped, for the client to retry.
    @Test
    void leaderThatStepsDownReportsPendingReadsAsDropped() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        leader.readIndex(4);
        leader.ready();

        leader.step(append(2, 1, 2, 0, 0, List.of(), 0));
        Ready r = leader.ready();

        assertEquals(Role.FOLLOWER, leader.role());
        assertEquals(List.of(4L), r.droppedReads());
        assertTrue(leader.readStates().isEmpty());
    }

    // §6.4: reads still waiting for the new leader's first commit are dropped too when it steps down.
    @Test
    void leaderThatStepsDownDropsReadsAwaitingTermCommit() {
        Cluster c = electedWithNoopPending();
        TestNode leader = c.node(1);
        leader.readIndex(5);
        leader.readIndex(6);
        leader.ready();

        leader.step(append(2, 1, 2, 0, 0, List.of(), 0));
        Ready r = leader.ready();

        assertEquals(List.of(5L, 6L), r.droppedReads());
    }

    // ---------------------------------------------------------------- reads served by followers

    // §6.4: a follower asks the leader for a read index, one request for the reads that arrived together;
    // reads arriving while it is out wait for the next batch.
    @Test
    void followerBatchesReadsIntoOneRequestAtATime() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        TestNode follower = c.node(2);

        assertTrue(follower.readIndex(1));
        assertTrue(follower.readIndex(2));
        List<ReadIndexRequest> first = only(ReadIndexRequest.class, follower.ready().messages());
        assertEquals(1, first.size());
        assertEquals(1, first.get(0).to());
        assertEquals(1, first.get(0).term());
        follower.takeSent();

        assertTrue(follower.readIndex(3));
        assertTrue(only(ReadIndexRequest.class, follower.ready().messages()).isEmpty(), "one batch out at a time");

        c.deliver(first.get(0));
        c.flush(m -> !(m instanceof ReadIndexRequest)); // the leader's heartbeat round, then its answer
        assertEquals(List.of(new ReadState(1, 1), new ReadState(2, 1)), follower.readStates());
        List<ReadIndexRequest> second = only(ReadIndexRequest.class, follower.sent());
        assertEquals(1, second.size(), "the answer lets the next batch go");
        assertTrue(second.get(0).context() != first.get(0).context());
    }

    // §6.4: the asker counts in the quorum (it sent its request in this term after its reads arrived):
    // with three voters the leader and the asker are a majority, and the leader answers at once.
    @Test
    void leaderOfThreeAnswersFollowerAtOnce() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        c.tickAll(1); // a heartbeat tells the followers the no-op is committed
        ReadIndexRequest request = askLeader(c.node(3), 8);

        c.deliver(request);
        assertEquals(List.of(new ReadIndexResponse(1, 3, 1, request.context(), true, 1)),
                only(ReadIndexResponse.class, leader.sent()), "answered with the commit index at arrival");
        assertTrue(only(AppendRequest.class, leader.sent()).isEmpty(), "no heartbeat round for it");
    }

    // §6.4: an asker that has not been told the commit index it must apply gets a heartbeat carrying
    // it with the answer, rather than waiting for the next tick.
    @Test
    void leaderTellsTheAskerACommitIndexItWasNotSent() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        leader.propose("x");
        List<Message> appends = leader.ready().messages();
        leader.takeSent();
        c.deliver(only(AppendRequest.class, 2, appends).get(0));
        c.deliver(only(AppendRequest.class, 3, appends).get(0));
        c.deliver(c.node(2).takeSent().get(0));
        c.deliver(c.node(3).takeSent().get(0));
        assertEquals(2, leader.commit());
        assertTrue(leader.takeSent().isEmpty(), "a commit alone sends nothing");
        assertEquals(1, c.node(3).commit());

        ReadIndexRequest request = askLeader(c.node(3), 8);
        c.deliver(request);
        List<AppendRequest> beat = only(AppendRequest.class, 3, leader.sent());
        assertEquals(1, beat.size());
        assertEquals(2, beat.get(0).leaderCommit());
        assertTrue(only(AppendRequest.class, 2, leader.sent()).isEmpty(), "only the asker is told");

        c.flush();
        assertEquals(List.of(new ReadState(8, 2)), c.node(3).readStates());
        assertEquals(2, c.node(3).commit());
    }

    // §6.4: with five voters the leader and the asker are two; one more acknowledgement of a heartbeat
    // sent after the request arrived makes the majority.
    @Test
    void leaderOfFiveAnswersFollowerAfterOneMoreAcknowledgement() {
        Cluster c = new Cluster(Opts.THESIS, FIVE);
        TestNode leader = c.elect(1);
        ReadIndexRequest request = askLeader(c.node(5), 8);

        c.deliver(request);
        assertTrue(only(ReadIndexResponse.class, leader.sent()).isEmpty(), "no answer before the round");
        c.roundTrip(only(AppendRequest.class, 2, leader.takeSent()).get(0));

        assertEquals(List.of(new ReadIndexResponse(1, 5, 1, request.context(), true, 1)),
                only(ReadIndexResponse.class, leader.sent()), "the asker, node 2 and the leader are three of five");
    }

    // §6.4: a new leader answers a follower only once it has committed an entry of its own term.
    @Test
    void leaderAnswersFollowerOnlyAfterCommittingInItsTerm() {
        Cluster c = electedWithNoopPending();
        TestNode leader = c.node(1);
        leader.ready();
        AppendRequest noop = only(AppendRequest.class, 2, leader.sent()).get(0);
        c.deliver(noop); // node 2 learns its leader; the no-op is not committed yet
        c.node(2).takeSent();
        ReadIndexRequest request = askLeader(c.node(2), 5);

        c.deliver(request);
        leader.elapse(1);
        c.flush(m -> !(m instanceof AppendRequest a) || a.entries().isEmpty());
        assertEquals(0, leader.commit());
        assertTrue(only(ReadIndexResponse.class, c.delivered()).isEmpty(), "no answer before the no-op commits");

        c.flush();
        assertEquals(List.of(new ReadState(5, 1)), c.node(2).readStates());
    }

    // §6.4: a batch unanswered for an election timeout (request or answer lost) is dropped, to be retried.
    @Test
    void unansweredBatchIsDroppedAfterATimeout() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        TestNode follower = c.node(2);
        follower.readIndex(4);
        follower.ready();
        follower.takeSent(); // lost

        for (int i = 0; i < Fixtures.ELECTION_TICKS - 1; i++) {
            follower.step(Fixtures.heartbeat(1, 2, 1, 1, 1, 1)); // the leader is alive: no election
            follower.elapse(1);
        }
        assertTrue(follower.droppedReads().isEmpty());
        follower.elapse(1);
        assertEquals(Role.FOLLOWER, follower.role());
        assertEquals(List.of(4L), follower.droppedReads());
    }

    // §6.4: a leader change ends a follower's batch; a late answer from the deposed leader confirms nothing.
    @Test
    void leaderChangeDropsFollowerReadsAndLateAnswersAreIgnored() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        TestNode follower = c.node(2);
        ReadIndexRequest request = askLeader(follower, 6);

        follower.step(append(3, 2, 2, 1, 1, List.of(), 1));
        follower.ready();
        assertEquals(List.of(6L), follower.droppedReads());

        follower.step(new ReadIndexResponse(1, 2, 1, request.context(), true, 1));
        follower.ready();
        assertTrue(follower.readStates().isEmpty(), "an answer of the old term is stale");
    }

    // §6.4: an answer for another batch, or a leader's refusal, confirms nothing; a refusal drops the batch.
    @Test
    void onlyTheAnswerToTheOutstandingBatchCounts() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        TestNode follower = c.node(2);
        follower.readIndex(6);
        ReadIndexRequest request = only(ReadIndexRequest.class, follower.ready().messages()).get(0);

        follower.step(new ReadIndexResponse(1, 2, 1, request.context() + 1, true, 1));
        follower.ready();
        assertTrue(follower.readStates().isEmpty());
        follower.step(new ReadIndexResponse(1, 2, 1, request.context(), false, 0));
        follower.ready();
        assertTrue(follower.readStates().isEmpty());
        assertEquals(List.of(6L), follower.droppedReads());
    }

    // §6.4: a node that does not lead refuses a read index request; one of an older term is refused with the newer term.
    @Test
    void nonLeaderRefusesReadIndexRequests() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        TestNode follower = c.node(2);

        follower.step(new ReadIndexRequest(3, 2, 1, 42));
        assertEquals(List.of(new ReadIndexResponse(2, 3, 1, 42, false, 0)), only(ReadIndexResponse.class, follower.ready().messages()));
        c.node(1).step(new ReadIndexRequest(3, 1, 0, 43));
        // a stale term is answered at once, with the receiver's term
        assertEquals(List.of(new ReadIndexResponse(1, 3, 1, 43, false, 0)), only(ReadIndexResponse.class, c.node(1).ready().messages()));
    }

    // §5.2: a granted read index claims leadership; one from another node than this term's leader is refused.
    @Test
    void grantedAnswerFromASecondLeaderIsRefused() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        StepResult r = c.node(2).core().step(new ReadIndexResponse(3, 2, 1, 1, true, 1));
        assertTrue(r instanceof StepResult.Refused, String.valueOf(r));
    }

    // §6.4: a leader that steps down refuses the followers' batches it held, so that they retry at once.
    @Test
    void leaderThatStepsDownRefusesFollowersBatches() {
        Cluster c = new Cluster(Opts.THESIS, FIVE);
        TestNode leader = c.elect(1);
        leader.step(new ReadIndexRequest(5, 1, 1, 77));
        leader.ready();
        leader.takeSent();

        leader.step(append(2, 1, 2, 0, 0, List.of(), 0));
        assertEquals(List.of(new ReadIndexResponse(1, 5, 2, 77, false, 0)), only(ReadIndexResponse.class, leader.ready().messages()));
    }

    // §6.4 with thesis 4.2.1: a learner follows the leader's log, so it may serve reads the leader confirms.
    @Test
    void learnerServesReadsTheLeaderConfirms() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        c.join(4);
        leader.changeMembership(new MembershipChange.AddLearner(4, new Membership.Address("127.0.0.4", 8004, 9004)));
        c.flush();
        TestNode learner = c.node(4);

        assertTrue(learner.readIndex(12));
        c.flush();
        assertEquals(List.of(new ReadState(12, leader.commit())), learner.readStates());
    }

    // §6.4: a learner has no vote, so its request confirms nothing: the leader still needs a round.
    @Test
    void learnersRequestDoesNotCountInTheQuorum() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        TestNode leader = c.elect(1);
        c.join(4);
        leader.changeMembership(new MembershipChange.AddLearner(4, new Membership.Address("127.0.0.4", 8004, 9004)));
        c.flush();
        ReadIndexRequest request = askLeader(c.node(4), 12);

        c.deliver(request);
        assertTrue(only(ReadIndexResponse.class, leader.sent()).isEmpty(), "no answer before the round");
        c.roundTrip(only(AppendRequest.class, 2, leader.takeSent()).get(0));
        assertEquals(1, only(ReadIndexResponse.class, 4, leader.sent()).size(), "leader and node 2 are two of three voters");
    }

    // §6.4: a node that is not a member (removed, or waiting to join) serves no read, even knowing a leader.
    @Test
    void nonMemberRefusesReads() {
        Cluster c = new Cluster(Opts.THESIS, THREE);
        c.elect(1);
        TestNode outsider = c.join(4);
        outsider.step(Fixtures.heartbeat(1, 4, 1, 0, 0, 0));
        assertEquals(1, outsider.leader());

        assertFalse(outsider.readIndex(13));
        assertTrue(only(ReadIndexRequest.class, outsider.ready().messages()).isEmpty());
    }
}
