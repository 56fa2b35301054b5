package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.raft.Fixtures.FIVE;
import static raftkv.raft.Fixtures.THREE;
import static raftkv.raft.Fixtures.append;
import static raftkv.raft.Fixtures.entry;
import static raftkv.raft.Fixtures.log;
import static raftkv.raft.Fixtures.only;
import static raftkv.raft.RaftCore.NONE;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.VoteResponse;

/** Raft paper §5.3: log replication (and §8: a new leader's no-op). */
class PaperReplicationTest {

    static List<Long> terms(long... terms) {
        return Arrays.stream(terms).boxed().toList();
    }

    // §8: a leader appends a no-op entry of its term as soon as it is elected, and sends it to every follower.
    @Test
    void newLeaderAppendsNoopOfItsTerm() {
        TestNode n = TestNode.restored(Opts.PAPER.config(1, THREE), new HardState(1, NONE), log(1, 1));
        PaperElectionTest.ticksUntilCampaign(n);
        n.takeSent();

        n.step(new VoteResponse(2, 1, 2, true, false));
        Ready r = n.ready();

        assertEquals(Role.LEADER, n.role());
        assertEquals(List.of(Entry.noop(3, 2)), r.entries());
        List<AppendRequest> appends = only(AppendRequest.class, r.messages());
        assertEquals(List.of(2L, 3L), appends.stream().map(AppendRequest::to).toList());
        for (AppendRequest a : appends) {
            assertEquals(2, a.prevLogIndex());
            assertEquals(1, a.prevLogTerm());
            assertEquals(List.of(Entry.noop(3, 2)), a.entries());
            assertEquals(0, a.leaderCommit());
        }
        assertEquals(0, n.commit(), "the no-op is not committed until a majority has it");
    }

    // §5.3: the leader appends a client command to its log and issues AppendEntries carrying it to each follower.
    @Test
    void leaderAppendsProposalAndSendsItToFollowers() {
        Cluster c = new Cluster(Opts.PAPER, THREE);
        TestNode leader = c.elect(1);
        c.tickAll(1);

        ProposeResult result = leader.propose("x");
        Ready r = leader.ready();

        assertEquals(new ProposeResult.Accepted(2, 1), result);
        assertEquals(List.of(Entry.normal(2, 1, Fixtures.data("x"))), r.entries());
        List<AppendRequest> appends = only(AppendRequest.class, r.messages());
        assertEquals(2, appends.size());
        for (AppendRequest a : appends) {
            assertEquals(1, a.prevLogIndex());
            assertEquals(1, a.prevLogTerm());
            assertEquals(r.entries(), a.entries());
            assertEquals(1, a.leaderCommit());
        }
    }

    static Stream<Arguments> mismatches() {
        return Stream.of(
                // follower log terms, prevLogIndex, prevLogTerm, expected hintIndex, hintTerm
                Arguments.of("log shorter than prevLogIndex", new long[] {1, 1}, 5, 3, 2, 1),
                Arguments.of("empty log", new long[] {}, 3, 1, 0, 0),
                Arguments.of("term differs at prevLogIndex", new long[] {1, 1, 2, 2, 2}, 5, 3, 5, 2),
                Arguments.of("whole newer term skipped", new long[] {1, 1, 4, 4, 4}, 5, 3, 2, 1),
                Arguments.of("longer log, newer term skipped", new long[] {1, 1, 4, 4, 4, 4, 4}, 5, 3, 2, 1));
    }

    // §5.3: a follower rejects AppendEntries whose prevLogIndex/prevLogTerm it does not hold; the hint lets the leader skip a term at a time.
    @ParameterizedTest(name = "{0}")
    @MethodSource("mismatches")
    void followerRejectsWhenPrevLogDoesNotMatch(String name, long[] followerTerms, long prevIndex, long prevTerm,
                                                long hintIndex, long hintTerm) {
        TestNode follower = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(5, NONE), log(followerTerms));

        follower.step(append(1, 2, 5, prevIndex, prevTerm, List.of(entry(prevIndex + 1, 5)), prevIndex + 1));
        Ready r = follower.ready();

        AppendResponse resp = only(AppendResponse.class, r.messages()).get(0);
        assertFalse(resp.success());
        assertEquals(prevIndex, resp.rejectedIndex());
        assertEquals(hintIndex, resp.hintIndex(), "hintIndex");
        assertEquals(hintTerm, resp.hintTerm(), "hintTerm");
        assertEquals(terms(followerTerms), follower.logTerms(), "the log is unchanged");
        assertTrue(r.entries().isEmpty());
        assertEquals(0, follower.commit());
    }

    // §5.3: if an existing entry conflicts with a new one, the follower deletes it and all that follow, then appends.
    @Test
    void followerDeletesConflictingSuffixAndAppends() {
        TestNode follower = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(2, NONE), log(1, 1, 2, 2, 2));

        follower.step(append(1, 2, 3, 2, 1, List.of(entry(3, 3), entry(4, 3)), 0));
        Ready r = follower.ready();

        assertEquals(terms(1, 1, 3, 3), follower.logTerms());
        assertEquals(List.of(entry(3, 3), entry(4, 3)), r.entries(), "the stored log is rewritten from the conflict on");
        assertEquals(log(1, 1, 3, 3), follower.diskEntries());
        AppendResponse resp = only(AppendResponse.class, r.messages()).get(0);
        assertTrue(resp.success());
        assertEquals(4, resp.matchIndex());
    }

    // §5.3: entries the follower already holds (same index and term) are kept, and so are the entries after them.
    @Test
    void followerKeepsEntriesThatAlreadyMatch() {
        TestNode follower = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(1, NONE), log(1, 1, 1));

        follower.step(append(1, 2, 1, 0, 0, List.of(entry(1, 1)), 0));
        Ready r = follower.ready();

        assertEquals(terms(1, 1, 1), follower.logTerms(), "a delayed, shorter AppendEntries truncates nothing");
        assertTrue(r.entries().isEmpty());
        assertEquals(1, only(AppendResponse.class, r.messages()).get(0).matchIndex());
    }

    static Stream<Arguments> commits() {
        return Stream.of(
                // prevLogIndex, number of new entries, leaderCommit, expected follower commit
                Arguments.of("leaderCommit below last new", 3, 1, 3, 3),
                Arguments.of("leaderCommit beyond last new", 3, 1, 5, 4),
                Arguments.of("follower holds more than the request covers", 1, 1, 3, 2),
                Arguments.of("heartbeat in the middle of the log", 1, 0, 3, 1),
                Arguments.of("heartbeat at the end", 3, 0, 2, 2));
    }

    // §5.3 (figure 2): a follower sets commitIndex = min(leaderCommit, index of last new entry).
    @ParameterizedTest(name = "{0}")
    @MethodSource("commits")
    void followerCommitIsMinOfLeaderCommitAndLastNewEntry(String name, long prevIndex, int newEntries,
                                                          long leaderCommit, long expectedCommit) {
        TestNode follower = TestNode.restored(Opts.PAPER.config(2, THREE), new HardState(1, NONE), log(1, 1, 1));
        List<Entry> entries = newEntries == 0 ? List.of() : List.of(entry(prevIndex + 1, 1));

        follower.step(append(1, 2, 1, prevIndex, 1, entries, leaderCommit));
        Ready r = follower.ready();

        assertEquals(expectedCommit, follower.commit());
        assertEquals(expectedCommit, r.committedEntries().size(), "entries 1.." + expectedCommit + " are handed out to apply");
    }

    // §5.3: the leader commits an entry once it is replicated on a majority, applies it, and followers learn the commit.
    @Test
    void leaderCommitsOnceMajorityHasEntry() {
        Cluster c = new Cluster(Opts.PAPER, FIVE);
        TestNode leader = c.elect(1);
        assertEquals(1, leader.commit());

        leader.propose("x");
        List<AppendRequest> appends = only(AppendRequest.class, leader.ready().messages());
        leader.takeSent();
        c.roundTrip(appends.get(0)); // node 2
        assertEquals(1, leader.commit(), "leader and node 2: 2 of 5");
        c.roundTrip(appends.get(1)); // node 3
        assertEquals(2, leader.commit(), "leader, nodes 2 and 3: 3 of 5");
        assertEquals(Fixtures.data("x"), leader.applied().get(1).data());

        c.roundTrip(appends.get(2));
        c.roundTrip(appends.get(3));
        c.tickAll(1);
        for (long id : List.of(2L, 3L, 4L, 5L)) assertEquals(2, c.node(id).commit(), "node " + id);
    }

    // §5.3 (§5.2): a leader sends empty AppendEntries (heartbeats) to every follower each heartbeat interval.
    @Test
    void leaderSendsHeartbeatEveryHeartbeatTicks() {
        Cluster c = new Cluster(Opts.PAPER.heartbeatTicks(3), THREE);
        TestNode leader = c.elect(1);

        for (int interval = 0; interval < 3; interval++) {
            leader.elapse(2);
            assertTrue(leader.takeSent().isEmpty(), "no heartbeat before 3 ticks");
            leader.elapse(1);
            List<AppendRequest> beats = only(AppendRequest.class, leader.takeSent());
            assertEquals(List.of(2L, 3L), beats.stream().map(AppendRequest::to).toList());
            for (AppendRequest b : beats) {
                assertTrue(b.entries().isEmpty());
                assertEquals(1, b.term());
                assertEquals(1, b.leaderCommit());
            }
        }
    }
}
