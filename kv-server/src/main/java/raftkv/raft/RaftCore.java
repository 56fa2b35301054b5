package raftkv.raft;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.random.RandomGenerator;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.ReadIndexRequest;
import raftkv.raft.Message.ReadIndexResponse;
import raftkv.raft.Message.SnapshotRequest;
import raftkv.raft.Message.SnapshotResponse;
import raftkv.raft.Message.TimeoutNow;
import raftkv.raft.Message.VoteRequest;
import raftkv.raft.Message.VoteResponse;
import raftkv.raft.Quorum.VoteResult;

/**
 * One node's Raft consensus state machine: pure and single-threaded. It owns no threads,
 * sockets, files or clocks; time is {@link #tick()} and randomness comes from the
 * {@link RandomGenerator} it is given, so a seed replays it exactly.
 *
 * <p>Inputs are {@link #tick()}, {@link #step(Message)}, {@link #propose(ByteString)},
 * {@link #readIndex(long)}, {@link #transferLeadership(long)} and {@link #compact(long)}.
 * The output is {@link #ready()}: what to persist, send, apply and answer. The caller handles
 * it as {@link Ready} describes and then calls {@link #advance(Ready)} before any other input.
 *
 * <p>Beyond the Raft paper it implements pre-vote and check-quorum (thesis 9.6), fast log
 * back-off, batched and pipelined replication, ReadIndex reads (thesis 6.4), served by the leader
 * and, after a ReadIndex request to it, by followers and learners, and leadership transfer (thesis 3.10).
 */
public final class RaftCore {
    /** "No node": no vote cast, no leader known. */
    public static final long NONE = -1;

    /**
     * The highest term a peer's message may carry (2^62). Terms only grow by one per election, so
     * a correct cluster never gets near it; a message beyond it is hostile or corrupt, and adopting
     * it would leave too little room for later elections (at 2^63 - 1 the next one overflows).
     */
    public static final long MAX_TERM = 1L << 62;

    /**
     * A learner is promoted only if its log is within this many entries of the leader's: a voter far
     * behind would hold commits back (or, added to a small cluster, stop them) while it catches up.
     */
    public static final long PROMOTE_MAX_LAG = 1000;

    private final RaftConfig config;
    // The membership of a brand-new cluster (RaftConfig.voters), until the log or a snapshot holds one.
    private final Membership initialMembership;
    // The membership in force: that of the last CONFIG entry in the log, committed or not (thesis 4.1),
    // else the snapshot's, else the initial one. membershipIndex is that entry's index (or the snapshot
    // point). previousMembership is the one before it: the nodes a change removed still get the log
    // until the change commits, so that they learn of it. Invariant: one change in flight at a time.
    private Membership membership;
    private long membershipIndex;
    private Membership previousMembership;
    // Who must agree to commit, to elect, to keep a lease, to confirm a read: a majority of the voters.
    private Quorum quorum;
    private final RandomGenerator random;
    private final RaftLog log;

    // Persistent state (Raft paper figure 2); changes reach stable storage through Ready.hardState.
    private long term;
    private long votedFor = NONE;

    private Role role = Role.FOLLOWER;
    private long leader = NONE;

    // Ticks since the last heartbeat from a leader (followers) or since the last check-quorum (leader).
    private int electionElapsed;
    private int randomizedElectionTimeout;
    private int heartbeatElapsed;

    // Candidates and pre-candidates: the answers received in this election, by voter.
    private final Map<Long, Boolean> votes = new HashMap<>();

    // Leader only: one Progress per follower, iterated in id order for determinism.
    private final TreeMap<Long, Progress> progress = new TreeMap<>();
    private ReadIndex reads = new ReadIndex();
    // Followers and learners: their clients' reads, batched into ReadIndex requests to the leader.
    private final FollowerReads followerReads = new FollowerReads();
    private long leadTransferee = NONE;

    // Output accumulated for the next Ready.
    private List<Message> outbox = new ArrayList<>();
    private List<ReadState> readStates = new ArrayList<>();
    private List<Long> droppedReads = new ArrayList<>();
    private SnapshotMeta snapshotToInstall;
    private HardState lastHardState;
    private SoftState lastSoftState;
    // The Ready handed out and not yet advanced; no input is accepted meanwhile.
    private Ready outstanding;

    /**
     * Starts a core from what was persisted: the hard state, the snapshot point (or
     * {@link SnapshotMeta#NONE}) and the stored entries after it. The state machine must already
     * hold the snapshot's contents.
     */
    public RaftCore(RaftConfig config, HardState hardState, SnapshotMeta snapshot, List<Entry> entries,
                    RandomGenerator random) {
        this(config, hardState, snapshot, null, entries, random);
    }

    /**
     * As above, with the membership stored with the snapshot ({@code null} if it holds none: no change
     * had been made by then, and the initial membership, {@link RaftConfig#voters}, applies).
     */
    public RaftCore(RaftConfig config, HardState hardState, SnapshotMeta snapshot, Membership snapshotMembership,
                    List<Entry> entries, RandomGenerator random) {
        this.config = config;
        this.random = random;
        this.initialMembership = Membership.ofVoters(config.voters());
        this.log = new RaftLog(snapshot, snapshotMembership, entries);
        refreshMembership();
        if (log.lastTerm() > hardState.term()) {
            throw new IllegalStateException("log term " + log.lastTerm() + " is ahead of persisted term " + hardState.term());
        }
        this.term = hardState.term();
        this.votedFor = hardState.votedFor();
        this.lastHardState = hardState;
        this.lastSoftState = softState();
        resetElectionTimer();
    }

    // ---------------------------------------------------------------- inputs

    /** Advances logical time by one tick. */
    public void tick() {
        checkNoOutstandingReady();
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            electionElapsed++;
            // A batch unanswered for an election timeout was lost on the way (or its answer was): retried.
            followerReads.tick(config.electionTicks(), droppedReads);
            if (electionElapsed >= randomizedElectionTimeout && mayCampaign()) campaign(false);
        }
    }

    /**
     * Handles one message from a peer. A message that no correct peer could send is refused
     * without effect (see {@link StepResult.Refused}); a message addressed to another node is a
     * caller bug and throws.
     */
    public StepResult step(Message m) {
        checkNoOutstandingReady();
        if (m.to() != config.id()) {
            throw new IllegalStateException("message for " + m.to() + " stepped into node " + config.id());
        }
        String refusal = contradiction(m);
        if (refusal != null) return new StepResult.Refused(m.from(), refusal);
        if (m.term() > term) {
            if (m instanceof VoteRequest v && inLease() && !v.transfer()) {
                // We heard from a live leader within the election timeout: this candidate is
                // disruptive (thesis 9.6), and neither our term nor our vote changes for it.
                send(new VoteResponse(config.id(), m.from(), term, false, v.preVote()));
                return StepResult.TAKEN;
            }
            boolean keepTerm = (m instanceof VoteRequest v && v.preVote())
                    || (m instanceof VoteResponse r && r.preVote() && r.granted());
            if (!keepTerm) {
                boolean fromLeader = m instanceof AppendRequest || m instanceof SnapshotRequest || m instanceof TimeoutNow;
                becomeFollower(m.term(), fromLeader ? m.from() : NONE);
            }
        } else if (m.term() < term) {
            answerStale(m);
            return StepResult.TAKEN;
        }

        if (m instanceof VoteRequest v) {
            handleVoteRequest(v);
        } else if (m instanceof VoteResponse r) {
            handleVoteResponse(r);
        } else if (m instanceof AppendRequest a) {
            followLeaderOfThisTerm(a.from());
            handleAppendEntries(a);
        } else if (m instanceof SnapshotRequest s) {
            followLeaderOfThisTerm(s.from());
            handleSnapshot(s);
        } else if (m instanceof AppendResponse r) {
            // A late answer from a node no longer replicated to (removed, the change committed) is ignored.
            if (role == Role.LEADER && progress.containsKey(r.from())) handleAppendResponse(r);
        } else if (m instanceof SnapshotResponse r) {
            if (role == Role.LEADER && progress.containsKey(r.from())) handleSnapshotResponse(r);
        } else if (m instanceof TimeoutNow t) {
            if (role == Role.FOLLOWER && t.from() == leader && membership.isVoter(config.id())) campaign(true);
        } else if (m instanceof ReadIndexRequest r) {
            handleReadIndexRequest(r);
        } else if (m instanceof ReadIndexResponse r) {
            handleReadIndexResponse(r);
        }
        return StepResult.TAKEN;
    }

    /**
     * Why {@code m} cannot come from a correct peer of this cluster, or null if it can. Reads
     * state only, so that a refused message changes nothing (not even the term).
     */
    private String contradiction(Message m) {
        boolean fromLeader = m instanceof AppendRequest || m instanceof SnapshotRequest || m instanceof TimeoutNow;
        // Another node's log may hold members this node has not heard of yet (thesis 4.1: a server
        // takes part whatever its own configuration says), so a leader's entries and a candidate's
        // vote request may come from an unknown node: a voter far behind, or added before it got the
        // entry that adds it, is still needed by the newer configuration. Not from a retired id.
        boolean known = membership.contains(m.from()) || previousMembership.contains(m.from())
                || m instanceof AppendRequest || m instanceof SnapshotRequest
                || (m instanceof VoteRequest && !membership.isRetired(m.from()));
        if (m.from() == config.id() || m.from() < 0 || !known) {
            return "node " + m.from() + " is not a peer of node " + config.id() + " (" + membership + ")";
        }
        if (m.term() > MAX_TERM) return "term " + m.term() + " is above the bound 2^62";
        if (m.term() < term) return null; // stale: answered with our term, whatever it says
        // A granted read index is a leader's answer too.
        boolean claimsLeadership = fromLeader || (m instanceof ReadIndexResponse r && r.granted());
        if (claimsLeadership && m.term() == term) {
            // Election Safety (Raft paper 5.2): at most one leader per term.
            if (role == Role.LEADER) {
                return "a second leader in term " + term + ": node " + config.id() + " leads it";
            }
            if (leader != NONE && leader != m.from()) {
                return "a second leader in term " + term + ": node " + leader + " leads it";
            }
        }
        if (m instanceof AppendRequest a) {
            // Leader Completeness (5.4): a leader of this or a later term holds every committed entry.
            if (contradictsCommitted(a.prevLogIndex(), a.prevLogTerm())) {
                return "prev_log_term " + a.prevLogTerm() + " at index " + a.prevLogIndex()
                        + " contradicts the committed entry of term " + log.term(a.prevLogIndex());
            }
            for (Entry e : a.entries()) {
                if (e.index() > log.committed()) break;
                if (contradictsCommitted(e.index(), e.term())) {
                    return "entry " + e.index() + " of term " + e.term() + " contradicts the committed entry of term "
                            + log.term(e.index());
                }
            }
        } else if (m instanceof SnapshotRequest s && contradictsCommitted(s.snapshot().index(), s.snapshot().term())) {
            return "snapshot " + s.snapshot().index() + "/" + s.snapshot().term() + " contradicts the committed entry of term " + log.term(s.snapshot().index());
        } else if (role == Role.LEADER && m.term() == term) {
            // A follower can only have acknowledged what this leader sent it, from its own log.
            long match = m instanceof AppendResponse r ? r.matchIndex() : m instanceof SnapshotResponse r ? r.matchIndex() : 0;
            if (match > log.lastIndex()) {
                return "acknowledges index " + match + " beyond this leader's last index " + log.lastIndex();
            }
            // An acknowledged read round this leader never started would confirm reads without a quorum.
            if (m instanceof AppendResponse r && r.readSeq() > reads.seq()) {
                return "acknowledges read round " + r.readSeq() + " beyond this leader's round " + reads.seq();
            }
        }
        return null;
    }

    /** True if {@code index} is committed here, its term still known, and not {@code term}. */
    private boolean contradictsCommitted(long index, long term) {
        if (index > log.committed()) return false;
        long ours = log.term(index);
        return ours >= 0 && ours != term;
    }

    /**
     * Appends a command to the log if this node leads and is not handing leadership over.
     * The entry goes out with the next {@link #ready()}.
     */
    public ProposeResult propose(ByteString data) {
        checkNoOutstandingReady();
        if (role != Role.LEADER || leadTransferee != NONE) {
            return new ProposeResult.NotLeader(role == Role.LEADER ? leadTransferee : leader);
        }
        Entry e = Entry.normal(log.lastIndex() + 1, term, data);
        appendAsLeader(e);
        return new ProposeResult.Accepted(e.index(), e.term());
    }

    /**
     * Proposes one membership change (thesis 4.1: at most one voter added or removed). It takes
     * effect as soon as it is appended, here and on each follower as it arrives, and is done once
     * committed. Refused, changing nothing, while another change is uncommitted, before this leader
     * has committed an entry of its own term (the thesis' fix: a leader of a new term must not
     * propose a change while one from an earlier term may still be uncommitted on other logs), for a
     * learner far behind, for the last voter, for the leader itself when it is one of two voters, and
     * for adding a node whose id was removed before (see {@link Membership}).
     */
    public MembershipResult changeMembership(MembershipChange change) {
        checkNoOutstandingReady();
        if (role != Role.LEADER || leadTransferee != NONE) {
            return new MembershipResult.NotLeader(role == Role.LEADER ? leadTransferee : leader);
        }
        String refusal = membershipRefusal(change);
        if (refusal != null) return new MembershipResult.Refused(refusal);
        Membership next;
        if (change instanceof MembershipChange.AddLearner a) {
            next = membership.with(new Membership.Member(a.id(), false, a.address()));
        } else if (change instanceof MembershipChange.AddVoter a) {
            next = membership.with(new Membership.Member(a.id(), true, a.address()));
        } else if (change instanceof MembershipChange.Promote p) {
            next = membership.with(new Membership.Member(p.id(), true, membership.members().get(p.id()).address()));
        } else {
            next = membership.without(change.id());
        }
        Entry e = Entry.config(log.lastIndex() + 1, term, next);
        log.append(e);
        refreshMembership();
        maybeCommit();
        return new MembershipResult.Accepted(e.index(), e.term(), next);
    }

    /** Why {@code change} may not be made now, in one line, or null if it may. */
    private String membershipRefusal(MembershipChange change) {
        if (!committedInCurrentTerm()) {
            return "the leader has not yet committed an entry of its term " + term + "; retry in a moment";
        }
        if (membershipIndex > log.committed()) {
            return "another membership change (log entry " + membershipIndex + ") is in flight; retry once it commits";
        }
        long id = change.id();
        String kind = membership.isVoter(id) ? "a voter" : "a learner";
        if (change instanceof MembershipChange.AddLearner || change instanceof MembershipChange.AddVoter) {
            if (membership.isRetired(id)) {
                return "node " + id + " was removed from this cluster, and a removed id is never used again (a stale node "
                        + "could still count it); give the new node a new id";
            }
            return membership.contains(id) ? "node " + id + " is already " + kind : null;
        }
        if (change instanceof MembershipChange.Promote) {
            if (!membership.isLearner(id)) return "node " + id + (membership.contains(id) ? " is already a voter" : " is not a member");
            Progress pr = progress.get(id);
            long match = pr == null ? 0 : pr.match;
            return match == 0 || log.lastIndex() - match > PROMOTE_MAX_LAG
                    ? "learner " + id + " has not caught up: it holds the log up to entry " + match + " of the leader's "
                            + log.lastIndex() + " (at most " + PROMOTE_MAX_LAG + " behind to be promoted)"
                    : null;
        }
        if (!membership.contains(id)) return "node " + id + " is not a member";
        if (membership.voters().equals(Set.of(id))) return "node " + id + " is the last voter";
        // Leaving one voter that may not have the change yet: were this leader to crash before the
        // other voter got it, that voter would need this node's vote, which a removed node with the
        // longer log never gives, and the cluster would stall for good. From the other voter's side
        // the removal is safe: it leads alone from the moment it appends the change.
        if (id == config.id() && membership.voters().size() == 2 && membership.isVoter(id)) {
            return "removing the leader from two voters could stall the cluster; move the leadership to the other voter "
                    + "first (kvctl move-leader) and remove node " + id + " from there";
        }
        return null;
    }

    /**
     * Starts a linearizable read (ReadIndex, thesis 6.4). The leader confirms it itself; a follower
     * or learner that knows its leader asks the leader for the index, in a batch with the other reads
     * that arrive while one request is out. Returns false if this node can do neither (no leader
     * known, or not a member); otherwise the read is later reported in {@link Ready#readStates()}
     * with the index the node must have applied before reading, or in {@link Ready#droppedReads()}
     * if it cannot be confirmed (leadership lost, a leader change, no answer in time): the caller
     * retries it.
     */
    public boolean readIndex(long requestId) {
        checkNoOutstandingReady();
        if (role == Role.LEADER) {
            startRead(new ReadIndex.Read(config.id(), requestId));
            return true;
        }
        // A removed node, or one waiting to join, serves nothing: a leader may no longer answer it.
        if (role != Role.FOLLOWER || leader == NONE || !membership.contains(config.id())) return false;
        followerReads.add(requestId);
        return true;
    }

    /** Leader: a read, its own or a follower's, waits for an entry of this term to commit, then for a quorum's round. */
    private void startRead(ReadIndex.Read read) {
        if (!committedInCurrentTerm()) {
            reads.awaitTermCommit(read);
        } else {
            admitRead(read);
        }
    }

    /**
     * Leader, with an entry of its term committed: a read the leader and its asker confirm alone
     * (a single voter, or a follower's request among three voters) is answered at once; any other
     * waits for the next round.
     */
    private void admitRead(ReadIndex.Read read) {
        if (quorum.voteResult(id -> id == config.id() || id == read.requester()) == VoteResult.WON) {
            answerRead(read, log.committed());
            // The asker serves its reads once it has applied this index: if no append has told it
            // the commit index yet, a heartbeat does now rather than at the next tick.
            Progress pr = progress.get(read.requester());
            if (pr != null && pr.commitSent < log.committed()) sendHeartbeat(read.requester(), pr.match);
        } else {
            reads.add(read, log.committed());
            releaseReads();
        }
    }

    /**
     * A follower asks for a read index (thesis 6.4): the leader takes it as one of its own reads,
     * at its commit index now, and answers once a quorum confirms it still leads. The asker counts
     * in that quorum: it sent the request in this term after its reads arrived, so it had voted in no
     * later term before they did (with three voters, the leader answers at once). Any other node
     * refuses it, and the follower retries.
     */
    private void handleReadIndexRequest(ReadIndexRequest m) {
        if (role != Role.LEADER) {
            send(new ReadIndexResponse(config.id(), m.from(), term, m.context(), false, 0));
            return;
        }
        startRead(new ReadIndex.Read(m.from(), m.context()));
    }

    /** The leader's answer to this follower's outstanding batch: its reads may proceed at that index, or are retried. */
    private void handleReadIndexResponse(ReadIndexResponse m) {
        if (role != Role.FOLLOWER) return; // a candidate or leader of this term dropped its batch when it stopped following
        List<Long> batch = followerReads.answered(m);
        if (batch == null) return;
        if (m.granted()) {
            for (long id : batch) readStates.add(new ReadState(id, m.index()));
        } else {
            droppedReads.addAll(batch);
        }
    }

    /**
     * Hands leadership to {@code target} (thesis 3.10): proposals stop, the target is brought up to
     * date, then told to campaign at once. Abandoned after an election timeout.
     */
    public void transferLeadership(long target) {
        checkNoOutstandingReady();
        if (role != Role.LEADER || target == config.id() || !membership.isVoter(target)) return;
        leadTransferee = target;
        electionElapsed = 0;
        Progress pr = progress.get(target);
        if (pr.match == log.lastIndex()) {
            send(new TimeoutNow(config.id(), target, term));
        }
    }

    /**
     * The follower best placed to take leadership over (thesis 3.10): the one with the highest
     * match index, preferring a follower heard from in the current check-quorum window; ties go to
     * the lowest id. {@link #NONE} if this node does not lead or leads alone.
     */
    public long mostUpToDateFollower() {
        if (role != Role.LEADER) return NONE;
        long best = NONE;
        Progress bestProgress = null;
        for (Map.Entry<Long, Progress> e : progress.entrySet()) { // id order: ties go to the lowest id
            if (!membership.isVoter(e.getKey())) continue; // a learner cannot win an election
            Progress pr = e.getValue();
            boolean better = bestProgress == null
                    || (pr.recentActive && !bestProgress.recentActive)
                    || (pr.recentActive == bestProgress.recentActive && pr.match > bestProgress.match);
            if (better) {
                best = e.getKey();
                bestProgress = pr;
            }
        }
        return best;
    }

    /** Whether this leader is handing leadership over (it accepts no proposals meanwhile). */
    public boolean transferringLeadership() {
        return role == Role.LEADER && leadTransferee != NONE;
    }

    /**
     * Forgets the log up to {@code index}, which the state machine has captured in a snapshot.
     * Followers that still need those entries will be sent the snapshot instead.
     */
    public void compact(long index) {
        checkNoOutstandingReady();
        log.compact(index);
    }

    // ---------------------------------------------------------------- output

    /** Collects what the node must do now. Call {@link #advance(Ready)} once it is done. */
    public Ready ready() {
        checkNoOutstandingReady();
        if (role == Role.LEADER) {
            if (reads.needsBroadcast()) {
                broadcastHeartbeat(false);
                reads.markBroadcast();
            }
            sendAppends();
        } else if (role == Role.FOLLOWER && followerReads.readyToSend()) {
            // A context no earlier batch had, not even one of an earlier run of this node: an answer
            // still on its way to a crashed incarnation must never confirm this batch.
            long context = random.nextLong();
            followerReads.sent(context, leader, term);
            send(new ReadIndexRequest(config.id(), leader, term, context));
        }
        SoftState soft = softState();
        HardState hard = new HardState(term, votedFor);
        Ready r = new Ready(
                soft.equals(lastSoftState) ? null : soft,
                hard.equals(lastHardState) ? null : hard,
                snapshotToInstall,
                log.unstable(),
                outbox,
                log.nextCommitted(),
                readStates,
                droppedReads);
        outbox = new ArrayList<>();
        readStates = new ArrayList<>();
        droppedReads = new ArrayList<>();
        outstanding = r;
        return r;
    }

    /** Records that {@code ready} has been handled: persisted, sent and applied. */
    public void advance(Ready ready) {
        if (ready != outstanding) throw new IllegalStateException("advance() of a Ready that is not the outstanding one");
        outstanding = null;
        if (ready.softState() != null) lastSoftState = ready.softState();
        if (ready.hardState() != null) lastHardState = ready.hardState();
        if (ready.snapshot() != null) snapshotToInstall = null;
        if (!ready.entries().isEmpty()) log.stableTo(ready.entries().get(ready.entries().size() - 1).index());
        if (!ready.committedEntries().isEmpty()) {
            log.appliedTo(ready.committedEntries().get(ready.committedEntries().size() - 1).index());
        }
        // The leader's own entries count toward commit only now that they are synced (thesis 10.2.1).
        if (role == Role.LEADER && !ready.entries().isEmpty()) maybeCommit();
    }

    /**
     * Whether the next {@link #ready()} has committed entries to apply or reads to answer: after an
     * {@link #advance} whose sync let the leader commit its own entries (a cluster of one, say).
     */
    public boolean hasCommittedToApply() {
        return log.committed() > log.applied() || !readStates.isEmpty();
    }

    public Status status() {
        return new Status(config.id(), role, term, leader, votedFor, log.committed(), log.applied(),
                log.lastIndex(), log.firstIndex());
    }

    public long id() {
        return config.id();
    }

    public Role role() {
        return role;
    }

    public long term() {
        return term;
    }

    public long leader() {
        return leader;
    }

    /** The term of the entry at {@code index}, or -1 if it is compacted away (below the snapshot point) or beyond the log. */
    public long termAt(long index) {
        return log.term(index);
    }

    /** The entry at {@code index} if it is still in the log (for tests and status pages). */
    public Entry entry(long index) {
        return log.entry(index);
    }

    public SnapshotMeta snapshotMeta() {
        return log.snapshot();
    }

    /** The membership in force (the last one in the log, committed or not). */
    public Membership membership() {
        return membership;
    }

    /** The membership as of the snapshot point (what a snapshot taken there must carry), or null if none is known. */
    public Membership snapshotMembership() {
        return log.snapshotMembership();
    }

    /** The log index of the entry that set {@link #membership()}: done once the commit index reaches it. */
    public long membershipIndex() {
        return membershipIndex;
    }

    /** Leader only: each member's match index (how much of its log is known to match this leader's); empty otherwise. */
    public SortedMap<Long, Long> matchIndexes() {
        TreeMap<Long, Long> out = new TreeMap<>();
        if (role != Role.LEADER) return out;
        progress.forEach((id, pr) -> out.put(id, pr.match));
        out.put(config.id(), log.lastIndex());
        return out;
    }

    // ---------------------------------------------------------------- membership

    /** Takes the membership from the log (its last CONFIG entry), else the snapshot, else the initial one. */
    private void refreshMembership() {
        Entry last = log.lastConfigAtOrBelow(log.lastIndex());
        if (last != null) {
            membership = MembershipCodec.decode(last.data());
            membershipIndex = last.index();
            Membership before = log.membershipAt(last.index() - 1);
            previousMembership = before != null ? before : initialMembership;
        } else {
            Membership atSnapshot = log.snapshotMembership();
            membership = atSnapshot != null ? atSnapshot : initialMembership;
            membershipIndex = log.snapshot().index();
            previousMembership = membership;
        }
        quorum = MajorityConfig.of(membership.voters());
        // A member added now is probed from the change's own entry, which goes out at once.
        if (role == Role.LEADER) updateReplicationTargets(log.lastIndex());
        if (leadTransferee != NONE && !membership.isVoter(leadTransferee)) leadTransferee = NONE;
    }

    /**
     * Leader: one Progress per member but itself, and, while a change is uncommitted, per node it
     * removed, so that the node gets the entry that removes it and stops campaigning.
     */
    private void updateReplicationTargets(long nextForNewPeers) {
        TreeSet<Long> targets = new TreeSet<>(membership.members().keySet());
        if (membershipIndex > log.committed()) targets.addAll(previousMembership.members().keySet());
        targets.remove(config.id());
        progress.keySet().retainAll(targets);
        for (long peer : targets) {
            progress.computeIfAbsent(peer, p -> {
                Progress pr = new Progress(Math.max(1, nextForNewPeers), config.maxInflight());
                pr.recentActive = true;
                return pr;
            });
        }
    }

    /**
     * The last change committed: stop replicating to the nodes it removed, and if it removed this
     * leader, hand leadership to an up-to-date voter and step down. Returns true if it stepped down.
     */
    private boolean membershipChangeCommitted() {
        // A node it removed that holds the change hears, once, that it is committed: it then knows it
        // is out for good and stops campaigning to commit it (see mayCampaign).
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            long match = e.getValue().match;
            if (!membership.contains(e.getKey()) && match >= membershipIndex && log.term(match) > 0) sendHeartbeat(e.getKey(), match);
        }
        updateReplicationTargets(log.lastIndex() + 1);
        if (membership.isVoter(config.id())) return false;
        long successor = mostUpToDateFollower();
        if (successor != NONE && progress.get(successor).match == log.lastIndex()) {
            send(new TimeoutNow(config.id(), successor, term));
        }
        becomeFollower(term, NONE);
        return true;
    }

    // ---------------------------------------------------------------- role changes
    //
    // Every role change goes through one of the four become* methods below, each of which resets
    // exactly the state that its role must not inherit. Transitions Raft never makes (a leader
    // campaigning, a follower becoming leader without an election) are bugs here and throw.

    /** Any role to follower, at {@code newTerm} (at least the current one) with a known or unknown leader. */
    private void becomeFollower(long newTerm, long newLeader) {
        if (newTerm < term) throw new IllegalStateException("term going back from " + term + " to " + newTerm);
        if (newTerm > term) {
            term = newTerm;
            votedFor = NONE;
        }
        if (role == Role.LEADER) dropLeaderReads();
        // A follower's batches were for the leader it followed; any change of leader or term ends them.
        followerReads.dropAll(droppedReads);
        role = Role.FOLLOWER;
        leader = newLeader;
        leadTransferee = NONE;
        votes.clear();
        progress.clear();
        electionElapsed = 0;
        resetElectionTimer();
    }

    /** An AppendEntries or InstallSnapshot of our own term: its sender is this term's leader. */
    private void followLeaderOfThisTerm(long from) {
        // contradiction() refused a second leader before we got here.
        if (role == Role.LEADER || (leader != NONE && leader != from)) {
            throw new IllegalStateException("two leaders in term " + term + ": " + leader + " and " + from);
        }
        if (role != Role.FOLLOWER) {
            becomeFollower(term, from);
        }
        leader = from;
        electionElapsed = 0;
    }

    /**
     * Thesis 9.6: asks whether a majority would vote for us in the next term, without raising
     * anyone's term, so that a node cut off from the cluster does not disrupt it when it returns.
     */
    private void becomePreCandidate() {
        if (role == Role.LEADER) throw new IllegalStateException("a leader does not campaign (term " + term + ")");
        role = Role.PRE_CANDIDATE;
        leader = NONE;
        followerReads.dropAll(droppedReads);
        votes.clear();
        electionElapsed = 0;
        resetElectionTimer();
    }

    /** Raft paper 5.2: a new term, a vote for ourselves, then the vote requests. */
    private void becomeCandidate() {
        if (role == Role.LEADER) throw new IllegalStateException("a leader does not campaign (term " + term + ")");
        role = Role.CANDIDATE;
        term++;
        votedFor = config.id();
        leader = NONE;
        followerReads.dropAll(droppedReads);
        votes.clear();
        electionElapsed = 0;
        resetElectionTimer();
    }

    private void becomeLeader() {
        if (role != Role.CANDIDATE) throw new IllegalStateException("only a candidate becomes leader, not a " + role);
        role = Role.LEADER;
        leader = config.id();
        leadTransferee = NONE;
        votes.clear();
        electionElapsed = 0;
        heartbeatElapsed = 0;
        reads = new ReadIndex();
        progress.clear();
        updateReplicationTargets(log.lastIndex() + 1);
        // Raft paper 8: a no-op of the new term lets the leader commit (and learn the commit index of)
        // entries from earlier terms, which it may not commit by counting replicas.
        appendAsLeader(Entry.noop(log.lastIndex() + 1, term));
    }

    /**
     * Starts an election: with pre-vote (and not for a leadership transfer) first the pre-vote
     * round, whose win starts the real election.
     */
    /**
     * Voters campaign; learners, nodes waiting to join and removed nodes do not, with one exception:
     * a voter removed by a change not yet committed. The leader that proposed the change may have
     * lost the entry (it crashed before its own write was synced) while this node has it: the voters
     * left then need this node's vote, which its longer log refuses them. So it campaigns, counting
     * votes in the new configuration, which does not count its own; elected, it commits the change and
     * steps down, as a leader that removed itself does.
     */
    private boolean mayCampaign() {
        if (membership.isVoter(config.id())) return true;
        return membershipIndex > log.committed() && previousMembership.isVoter(config.id());
    }

    private void campaign(boolean transfer) {
        if (config.preVote() && !transfer) {
            becomePreCandidate();
            requestVotes(term + 1, true, false);
        } else {
            becomeCandidate();
            requestVotes(term, false, transfer);
        }
    }

    private void requestVotes(long voteTerm, boolean preVote, boolean transfer) {
        Role asked = role;
        recordVote(config.id(), true);
        if (role != asked) return; // a single-node cluster has already decided
        for (long peer : membership.voters()) {
            if (peer == config.id()) continue;
            send(new VoteRequest(config.id(), peer, voteTerm, log.lastIndex(), log.lastTerm(), preVote, transfer));
        }
    }

    // ---------------------------------------------------------------- elections

    private void handleVoteRequest(VoteRequest m) {
        boolean canVote;
        if (m.preVote()) {
            // A pre-vote is granted as the real vote would be in the next term, changing nothing here.
            canVote = m.term() > term;
        } else {
            // Raft paper 5.2: at most one vote per term, and none once a leader of this term is known.
            canVote = votedFor == m.from() || (votedFor == NONE && leader == NONE);
        }
        boolean grant = canVote && log.isUpToDate(m.lastLogIndex(), m.lastLogTerm());
        if (grant && !m.preVote()) {
            votedFor = m.from();
            electionElapsed = 0;
        }
        long replyTerm = grant && m.preVote() ? m.term() : term;
        send(new VoteResponse(config.id(), m.from(), replyTerm, grant, m.preVote()));
    }

    private void handleVoteResponse(VoteResponse m) {
        boolean current = m.preVote()
                ? role == Role.PRE_CANDIDATE && m.term() == (m.granted() ? term + 1 : term)
                : role == Role.CANDIDATE && m.term() == term;
        if (current) recordVote(m.from(), m.granted());
    }

    private void recordVote(long voter, boolean granted) {
        votes.putIfAbsent(voter, granted);
        switch (quorum.voteResult(votes::get)) {
            case WON -> {
                if (role == Role.PRE_CANDIDATE) {
                    becomeCandidate();
                    requestVotes(term, false, false);
                } else {
                    becomeLeader();
                }
            }
            case LOST -> becomeFollower(term, NONE);
            case PENDING -> { }
        }
    }

    private boolean inLease() {
        return config.checkQuorum() && leader != NONE && electionElapsed < config.electionTicks();
    }

    private void resetElectionTimer() {
        randomizedElectionTimeout = config.electionTicks() + random.nextInt(config.electionTicks());
    }

    // ---------------------------------------------------------------- replication, follower side

    private void handleAppendEntries(AppendRequest m) {
        if (m.prevLogIndex() < log.committed()) {
            // Everything up to our commit index matches the leader (Leader Completeness).
            send(appendAck(m, log.committed()));
            return;
        }
        if (log.matchTerm(m.prevLogIndex(), m.prevLogTerm())) {
            long lastNew = m.prevLogIndex() + m.entries().size();
            long conflict = log.findConflict(m.entries());
            if (conflict != 0) {
                int from = (int) (conflict - m.entries().get(0).index());
                List<Entry> suffix = m.entries().subList(from, m.entries().size());
                log.truncateAndAppend(suffix);
                // A membership takes effect once in the log, and a removed entry's ends with it.
                if (conflict <= membershipIndex || suffix.stream().anyMatch(e -> e.type() == EntryType.CONFIG)) {
                    refreshMembership();
                }
            }
            // Raft paper figure 2: commitIndex = min(leaderCommit, index of last new entry).
            log.commitTo(Math.min(m.leaderCommit(), lastNew));
            send(appendAck(m, lastNew));
            return;
        }
        long hintIndex = log.findConflictByTerm(Math.min(m.prevLogIndex(), log.lastIndex()), m.prevLogTerm());
        send(new AppendResponse(config.id(), m.from(), term, false, 0, m.prevLogIndex(), hintIndex,
                log.term(hintIndex), m.readSeq()));
    }

    private AppendResponse appendAck(AppendRequest m, long matchIndex) {
        return new AppendResponse(config.id(), m.from(), term, true, matchIndex, 0, 0, 0, m.readSeq());
    }

    private void handleSnapshot(SnapshotRequest m) {
        SnapshotMeta s = m.snapshot();
        if (s.index() <= log.committed()) {
            send(new SnapshotResponse(config.id(), m.from(), term, log.committed()));
        } else if (log.matchTerm(s.index(), s.term())) {
            // Our log already holds the snapshot's last entry: everything up to it is committed.
            log.commitTo(s.index());
            send(new SnapshotResponse(config.id(), m.from(), term, s.index()));
        } else {
            log.restore(s, m.membership());
            refreshMembership();
            snapshotToInstall = s;
            send(new SnapshotResponse(config.id(), m.from(), term, s.index()));
        }
    }

    /** A message from an older term: requests get a refusal carrying our term, so their sender steps down. */
    private void answerStale(Message m) {
        if (m instanceof VoteRequest v) {
            send(new VoteResponse(config.id(), v.from(), term, false, v.preVote()));
        } else if (m instanceof AppendRequest a) {
            send(new AppendResponse(config.id(), a.from(), term, false, 0, a.prevLogIndex(), 0, 0, a.readSeq()));
        } else if (m instanceof SnapshotRequest s) {
            send(new SnapshotResponse(config.id(), s.from(), term, 0));
        } else if (m instanceof ReadIndexRequest r) {
            // Refused with our term: the follower learns of the newer term and retries its reads.
            send(new ReadIndexResponse(config.id(), r.from(), term, r.context(), false, 0));
        }
        // Responses from an older term carry nothing we can use.
    }

    // ---------------------------------------------------------------- replication, leader side

    private void appendAsLeader(Entry e) {
        log.append(e);
        maybeCommit();
    }

    private void tickLeader() {
        electionElapsed++;
        if (electionElapsed >= config.electionTicks()) {
            electionElapsed = 0;
            if (config.checkQuorum() && !quorumActive()) {
                becomeFollower(term, NONE);
                return;
            }
            progress.values().forEach(pr -> pr.recentActive = false);
            leadTransferee = NONE; // a transfer that has not finished within an election timeout is abandoned
        }
        heartbeatElapsed++;
        if (heartbeatElapsed >= config.heartbeatTicks()) {
            heartbeatElapsed = 0;
            broadcastHeartbeat(true);
        }
    }

    /** Check-quorum (thesis 6.2): has a majority, ourselves included, been heard from this timeout? */
    private boolean quorumActive() {
        return quorum.voteResult(id -> id == config.id() || progress.get(id).recentActive) == VoteResult.WON;
    }

    /**
     * Sends every follower an empty AppendEntries that asserts leadership, carries the commit
     * index and the current read round. On a timer tick it also restarts stalled replication.
     */
    private void broadcastHeartbeat(boolean timer) {
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            Progress pr = e.getValue();
            if (timer) recoverStalledReplication(pr);
            sendHeartbeat(e.getKey(), pr.match);
        }
    }

    /** An empty AppendEntries to {@code peer} from its match index, with the commit index as far as it holds. */
    private void sendHeartbeat(long peer, long match) {
        long prev = match;
        long prevTerm = log.term(prev);
        if (prevTerm < 0) { // compacted away: announce from the snapshot point instead
            prev = log.snapshot().index();
            prevTerm = log.snapshot().term();
        }
        long commit = Math.min(log.committed(), prev);
        send(new AppendRequest(config.id(), peer, term, prev, prevTerm, List.of(), commit, reads.seq()));
        Progress pr = progress.get(peer);
        pr.commitSent = Math.max(pr.commitSent, commit);
    }

    private void recoverStalledReplication(Progress pr) {
        switch (pr.state) {
            case PROBE -> pr.probeSent = false; // resend a probe that may have been lost
            case REPLICATE -> {
                // No progress over a whole heartbeat interval with entries outstanding: assume the
                // pipeline lost a message and find the follower's log again.
                if (pr.match < log.lastIndex() && pr.match == pr.matchAtLastHeartbeat) pr.becomeProbe();
            }
            case SNAPSHOT -> {
                if (++pr.snapshotHeartbeats * config.heartbeatTicks() >= config.electionTicks()) pr.becomeProbe();
            }
        }
        pr.matchAtLastHeartbeat = pr.match;
    }

    /** Sends each follower what its flow control allows, batching entries into few messages. */
    private void sendAppends() {
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            long peer = e.getKey();
            Progress pr = e.getValue();
            while (true) {
                if (pr.state == Progress.State.SNAPSHOT) break;
                if (pr.next < log.firstIndex()) {
                    pr.becomeSnapshot(log.snapshot().index());
                    // null: no change before the snapshot, the follower keeps to the initial membership.
                    send(new SnapshotRequest(config.id(), peer, term, log.snapshot(), log.snapshotMembership()));
                    break;
                }
                boolean probing = pr.state == Progress.State.PROBE;
                if (pr.next > log.lastIndex() || (probing ? pr.probeSent : pr.inflights.full())) break;
                List<Entry> batch = log.slice(pr.next, log.lastIndex(), config.maxEntriesPerAppend(), config.maxBytesPerAppend());
                long prev = pr.next - 1;
                send(new AppendRequest(config.id(), peer, term, prev, log.term(prev), batch, log.committed(), reads.seq()));
                if (probing) {
                    pr.probeSent = true;
                    break;
                }
                long last = batch.get(batch.size() - 1).index();
                pr.commitSent = Math.max(pr.commitSent, Math.min(log.committed(), last));
                pr.inflights.add(last);
                pr.next = last + 1;
            }
        }
    }

    private void handleAppendResponse(AppendResponse m) {
        Progress pr = progress.get(m.from());
        pr.recentActive = true;
        if (m.readSeq() > pr.ackedReadSeq) {
            pr.ackedReadSeq = m.readSeq();
            releaseReads();
        }
        if (!m.success()) {
            handleAppendRejection(pr, m);
            return;
        }
        boolean advanced = pr.maybeUpdate(m.matchIndex());
        switch (pr.state) {
            case PROBE -> {
                // Only the answer to the probe itself shows where the follower's log matches; an
                // answer to a heartbeat sent meanwhile carries an older match.
                if (m.matchIndex() >= pr.next - 1) pr.becomeReplicate();
            }
            case REPLICATE -> pr.inflights.freeLE(m.matchIndex());
            case SNAPSHOT -> {
                if (pr.match >= pr.pendingSnapshot) pr.becomeProbe();
            }
        }
        if (advanced) maybeCommit();
        if (m.from() == leadTransferee && pr.match == log.lastIndex()) {
            send(new TimeoutNow(config.id(), m.from(), term));
        }
    }

    private void handleAppendRejection(Progress pr, AppendResponse m) {
        boolean stale = switch (pr.state) {
            case REPLICATE -> m.rejectedIndex() < pr.match;
            case PROBE -> m.rejectedIndex() != pr.next - 1;
            case SNAPSHOT -> true;
        };
        if (stale) return;
        if (pr.state == Progress.State.REPLICATE) {
            pr.becomeProbe();
            return;
        }
        if (m.rejectedIndex() == pr.match && pr.match > 0) {
            // A probe at the very entry the follower acknowledged in this term was refused. Only a
            // leader of a higher term removes acknowledged entries, so the follower lost its log
            // (its data folder was wiped, say), or, in a rare reordering, this answer is older than
            // the acknowledgement. Either way a lower match is safe: commit never goes back, and
            // the probes below find the follower's log again, or send it a snapshot.
            pr.forgetMatch();
        }
        // Fast back-off: skip every index whose term cannot match the follower's, not one per round trip.
        long probe = m.hintTerm() > 0 ? log.findConflictByTerm(m.hintIndex(), m.hintTerm()) : m.hintIndex();
        pr.next = Math.max(Math.min(m.rejectedIndex(), probe + 1), pr.match + 1);
        pr.probeSent = false;
    }

    private void handleSnapshotResponse(SnapshotResponse m) {
        Progress pr = progress.get(m.from());
        pr.recentActive = true;
        boolean advanced = pr.maybeUpdate(m.matchIndex());
        if (pr.state == Progress.State.SNAPSHOT) pr.becomeProbe();
        if (advanced) maybeCommit();
    }

    /**
     * Raft paper 5.3 and 5.4.2: commit the highest index stored on a majority, but only if
     * that entry is of the current term; earlier entries are then committed indirectly.
     */
    private void maybeCommit() {
        // The leader's own match is what it has synced: it may send entries before its own sync
        // (Ready#sendableBeforeSync), and must never count an entry a crash could still take away.
        long quorumIndex = quorum.committedIndex(id -> id == config.id() ? log.stableIndex() : progress.get(id).match);
        if (quorumIndex > log.committed() && log.term(quorumIndex) == term) {
            boolean termWasCommitted = committedInCurrentTerm();
            boolean changeWasPending = membershipIndex > log.committed();
            log.commitTo(quorumIndex);
            if (changeWasPending && membershipIndex <= log.committed() && membershipChangeCommitted()) return;
            if (!termWasCommitted && committedInCurrentTerm()) {
                for (ReadIndex.Read read : reads.takeAwaitingTermCommit()) admitRead(read);
            }
        }
    }

    private boolean committedInCurrentTerm() {
        return log.term(log.committed()) == term;
    }

    private void releaseReads() {
        reads.release((read, seq) -> quorum.voteResult(id -> id == config.id() || id == read.requester()
                || progress.get(id).ackedReadSeq >= seq) == VoteResult.WON, this::answerRead);
    }

    /** A confirmed read: this node's own goes to the Ready, a follower's batch gets its index. */
    private void answerRead(ReadIndex.Read read, long index) {
        if (read.requester() == config.id()) {
            readStates.add(new ReadState(read.id(), index));
        } else {
            send(new ReadIndexResponse(config.id(), read.requester(), term, read.id(), true, index));
        }
    }

    /** Leadership lost: this node's own reads are dropped, followers' batches refused (they retry). */
    private void dropLeaderReads() {
        List<ReadIndex.Read> lost = new ArrayList<>();
        reads.dropAll(lost);
        for (ReadIndex.Read read : lost) {
            if (read.requester() == config.id()) droppedReads.add(read.id());
            else send(new ReadIndexResponse(config.id(), read.requester(), term, read.id(), false, 0));
        }
    }

    // ---------------------------------------------------------------- helpers

    private void send(Message m) {
        outbox.add(m);
    }

    private SoftState softState() {
        return new SoftState(role, term, leader);
    }

    private void checkNoOutstandingReady() {
        if (outstanding != null) throw new IllegalStateException("call advance() on the last Ready before any other input");
    }
}
