package raftkv.node;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.kv.Command;
import raftkv.kv.CommandCodec;
import raftkv.kv.KvStateMachine;
import raftkv.kv.SnapshotView;
import raftkv.kv.Stored;
import raftkv.raft.Entry;
import raftkv.raft.Membership;
import raftkv.raft.MembershipChange;
import raftkv.raft.MembershipResult;
import raftkv.raft.Message;
import raftkv.raft.ProposeResult;
import raftkv.raft.RaftCore;
import raftkv.raft.Ready;
import raftkv.raft.Role;
import raftkv.raft.SnapshotMeta;
import raftkv.raft.Status;
import raftkv.raft.StepResult;
import raftkv.transport.Transport;
import raftkv.wal.RaftStorage;

/**
 * What a node does, one event at a time, with no thread of its own (etcd's {@code rawnode.go} to
 * {@link RaftNode}'s {@code node.go}): it steps the core with ticks, peer messages and client
 * commands, then {@link #handleReady} does what the core asks, in the order {@link Ready} prescribes:
 * persist and sync, send, apply, answer. Its clock, storage, transport and snapshot store are given
 * to it, so the simulator runs this very code on simulated time and disks. Not thread-safe: one
 * caller, which calls {@link #handleReady} after each batch of events; only {@link #silent()},
 * {@link #knownLeader()} and {@link #observeLeader} may be called from other threads.
 */
public final class NodeStep {
    private static final Logger log = LoggerFactory.getLogger(NodeStep.class);

    /** What became of a command handed to this node. */
    public sealed interface Outcome {
        /** Executed here: the final result. */
        record Done(KvResult result) implements Outcome {}

        /**
         * Not executed, certainly: this node is not the leader (or the entry it appended was
         * replaced by another leader's). Safe to retry elsewhere. {@code leaderHint} may be
         * {@link RaftCore#NONE}.
         */
        record NotExecuted(long leaderHint) implements Outcome {}
    }

    /**
     * A node's view of itself, for Status calls and metrics.
     *
     * @param proposals         entries this node proposed and its core appended (as leader), since start
     * @param readIndexRequests ReadIndex reads this node's core took to confirm, since start: as leader with a
     *                          quorum, as follower or learner through its leader
     */
    public record NodeStatus(Status raft, long appliedIndex, int keys, long proposals, long readIndexRequests) {}

    /** Whether this node led, and so began a leadership transfer, and its term when asked. */
    public record TransferResult(boolean started, long term) {}

    private final long id;
    private final RaftCore core;
    // Replaced whole when the node installs a snapshot from its leader.
    private KvStateMachine stateMachine;
    private final RaftStorage storage;
    private final SnapshotKeeper snapshots;
    private final Transport transport;
    private final Clock clock;
    // Where a background snapshot write reports; the caller hands it back to snapshotWritten.
    private final Consumer<SnapshotKeeper.Written> snapshotDone;

    private final PendingRequests pending = new PendingRequests();
    private final OwedReplies owedReplies = new OwedReplies();
    private final GracefulStop stop = new GracefulStop();
    // Snapshots received in the current batch, until its Ready shows which the core installs (the others are deleted).
    private final Map<SnapshotMeta, SnapshotKeeper.Received> receivedSnapshots = new HashMap<>();
    private final RaftEventLog events;
    // Counters for metrics (status(), followerReadsServed()): plain fields, the node thread's alone.
    private long proposals;
    private long readIndexRequests;
    private long followerReadsServed;
    private boolean readsOnlyAsLeader;
    // The log's time as this node counts it: what a leader stamps its entries with.
    private final LogClock logClock;
    // The leader as of the last Ready, for other threads (leader hints on gRPC responses).
    private volatile long knownLeader = RaftCore.NONE;
    // Shown each Ready before it is handled: the simulator checks Raft's invariants on it.
    private Consumer<Ready> readyWatcher = r -> {};
    private final MembershipWatch membershipWatch;

    public NodeStep(long id, RaftCore core, KvStateMachine stateMachine, RaftStorage storage, SnapshotKeeper snapshots,
                    Transport transport, Clock clock, Consumer<SnapshotKeeper.Written> snapshotDone) {
        this.id = id;
        this.events = new RaftEventLog(id);
        this.core = core;
        this.stateMachine = stateMachine;
        this.storage = storage;
        this.snapshots = snapshots;
        this.transport = transport;
        this.clock = clock;
        this.snapshotDone = snapshotDone;
        this.membershipWatch = new MembershipWatch(id);
        this.logClock = new LogClock(clock, stateMachine.clockMs());
    }

    public long id() {
        return id;
    }

    /** Calls {@code listener} on this node's thread with each membership that comes into force. */
    public void onMembershipChange(Consumer<Membership> listener) {
        membershipWatch.listener(listener);
    }

    /** The membership in force. Node thread only. */
    public Membership membership() {
        return core.membership();
    }

    /** The log index of the entry that set {@link #membership()} (0 or the snapshot point: not in the log). */
    public long membershipIndex() {
        return core.membershipIndex();
    }

    /** Each member's match index, if this node leads (empty otherwise). Node thread only. */
    public java.util.SortedMap<Long, Long> matchIndexes() {
        return core.matchIndexes();
    }

    /** Whether the entry at {@code index} of {@code term} is committed here (false if replaced). Node thread only. */
    public boolean committed(long index, long term) {
        return core.status().commitIndex() >= index && core.termAt(index) == term;
    }

    /** Proposes a membership change (see {@link RaftCore#changeMembership}). Node thread only. */
    public MembershipResult changeMembership(MembershipChange change) {
        if (stop.requested()) return new MembershipResult.NotLeader(stop.leaderHint());
        MembershipResult r = core.changeMembership(change);
        if (r instanceof MembershipResult.Accepted a) log.info("node {}: proposed membership {} at entry {}", id, a.membership(), a.index());
        return r;
    }

    /** The leader this node knew of at its last Ready, or {@link RaftCore#NONE}. Any thread. */
    public long knownLeader() {
        return knownLeader;
    }

    /**
     * Shows {@code watcher} every non-empty Ready before it is handled, on the caller's thread; it
     * must not change anything. The simulator checks Raft's safety properties with it.
     */
    public void watchReady(Consumer<Ready> watcher) {
        this.readyWatcher = java.util.Objects.requireNonNull(watcher, "watcher");
    }

    /** Whether this node has left Raft (graceful stop): it steps, answers and sends no peer message. Any thread. */
    public boolean silent() {
        return stop.silent();
    }

    // ---------------------------------------------------------------- events

    public void tick() {
        pending.expire(clock.nanos());
        if (stop.silent()) return;
        core.tick();
        maybeProposeExpiryTick();
    }

    /** A request from a peer; {@code reply} is called once, with the core's answer or null (not taken). */
    public void stepRequest(Message m, Consumer<Message> reply) {
        if (stop.silent()) {
            refuseWhileSilent(m, reply);
        } else if (Message.isOneWay(m)) {
            reply.accept(null); // it has no answer
            stepPeer(m);
        } else if (stepPeer(m)) {
            owedReplies.owe(m, reply);
        } else {
            reply.accept(null);
        }
    }

    /**
     * A silent node answers a peer's request with null (the peer hears "not taken"), noting the
     * sender of an AppendEntries as the leader to send client commands to. Any thread.
     */
    public void refuseWhileSilent(Message m, Consumer<Message> reply) {
        if (m instanceof Message.AppendRequest a) stop.observeLeader(a.from(), a.term());
        reply.accept(null);
    }

    public void stepResponse(Message m) {
        if (!stop.silent()) stepPeer(m);
    }

    /** A whole snapshot a leader sent, read and checked; the Ready shows whether the core installs it. */
    public void stepSnapshot(Message.SnapshotRequest request, SnapshotKeeper.Received received, Consumer<Message> reply) {
        // The membership the file carries (as of its index) comes into force with it.
        Membership carried = received.machine().membership();
        if (carried != null) request = request.withMembership(carried);
        if (stop.silent() || !stepPeer(request)) {
            SnapshotKeeper.discard(received.file());
            reply.accept(null);
            return;
        }
        SnapshotKeeper.Received older = receivedSnapshots.put(request.snapshot(), received);
        if (older != null) SnapshotKeeper.discard(older.file());
        owedReplies.owe(request, reply);
    }

    public void snapshotWritten(SnapshotKeeper.Written written) {
        snapshots.written(written, core.snapshotMeta().index(), i -> core.entry(i).data().size()).ifPresent(core::compact);
    }

    /** A client command; {@code result} completes once, never exceptionally. */
    public void submit(KvRequest request, CompletableFuture<Outcome> result, long deadlineNanos) {
        if (stop.silent()) result.complete(new Outcome.NotExecuted(stop.leaderHint()));
        else if (stop.requested()) stop.park(result); // a leader about to hand over: for its successor
        else if (!membershipWatch.redirects(core.membership())) {
            if (request.isWrite()) propose(request, result, deadlineNanos);
            else read(request, result, deadlineNanos);
        } else result.complete(new Outcome.NotExecuted(membershipWatch.nextVoter(core.membership())));
    }

    /** A stop counts as asked for once {@code signal} says so (SIGTERM seen natively), before {@link #requestStop}. */
    public void stopAlsoRequestedWhen(java.util.function.BooleanSupplier signal) { stop.alsoRequestedWhen(signal); }

    /** Serve reads as the leader only: a follower answers them as not executed here, naming the leader. */
    public void serveReadsOnlyAsLeader() {
        readsOnlyAsLeader = true;
    }

    /** Reads answered here as a follower or learner (after the leader's ReadIndex), since start. Node thread only. */
    public long followerReadsServed() {
        return followerReadsServed;
    }

    public NodeStatus status() {
        return new NodeStatus(core.status(), stateMachine.appliedIndex(), stateMachine.size(), proposals, readIndexRequests);
    }

    /** The state machine as it is now (O(1), immutable): see {@link RaftNode#captureSnapshotView}. */
    public SnapshotView snapshotView() {
        return stateMachine.snapshotView();
    }

    /** What the live keys count for toward the quota: about the size of the next snapshot. */
    public long storeBytes() {
        return stateMachine.storeBytes();
    }

    /** Asks the core to hand leadership to {@code target} (thesis 3.10), if this node leads. */
    public TransferResult transferLeadership(long target) {
        boolean leads = core.role() == Role.LEADER && target != id && stop.phase() == GracefulStop.Phase.RUNNING;
        if (leads) core.transferLeadership(target);
        return new TransferResult(leads, core.term());
    }

    /**
     * Begins leaving the cluster (SPEC 2). A node that does not lead goes silent now; a leader first
     * hands leadership to its most up-to-date follower, parking the commands that reach it meanwhile,
     * and goes silent once it has stepped down or the core gave the transfer up. The future completes
     * once the node is silent and its parked commands are on their way to the new leader.
     */
    public CompletableFuture<Void> beginStop() {
        stop.request();
        long target = core.mostUpToDateFollower();
        if (stop.phase() != GracefulStop.Phase.RUNNING || core.role() != Role.LEADER || target == RaftCore.NONE) {
            goSilent();
        } else {
            stop.startTransfer(target);
            core.transferLeadership(target);
            log.info("node {}: stopping; handing leadership to node {} first", id, target);
        }
        return stop.silenced();
    }

    /**
     * The first step of {@link #beginStop}, on the thread that asks for the stop (the signal
     * handler's), before the event reaches the loop: a node that did not lead at its last Ready goes
     * silent at once; a leader serves no more reads and takes no more commands.
     */
    public void requestStop() {
        stop.request();
        long leader = knownLeader;
        if (leader != id) stop.silence(leader);
    }

    /** Answers everything pending as unavailable: the node stops for good. */
    public void failAllPending(String reason) {
        pending.failAll(reason);
    }

    /** Drops the files of snapshots received in the batch that the core did not install. */
    private void discardUnusedSnapshots() {
        receivedSnapshots.values().forEach(unused -> SnapshotKeeper.discard(unused.file()));
        receivedSnapshots.clear();
    }

    // ---------------------------------------------------------------- stepping

    /**
     * Steps a peer message; false if the core refused it as contradicting Raft (bad input from the
     * network: logged, dropped, and no answer owed). Anything the core throws is a bug here and stops the loop.
     */
    private boolean stepPeer(Message m) {
        if (core.step(m) instanceof StepResult.Refused r) {
            events.refused(m, r, clock.nanos());
            return false;
        }
        return true;
    }

    private void propose(KvRequest request, CompletableFuture<Outcome> result, long deadlineNanos) {
        Command command;
        try {
            command = Commands.toCommand(request);
        } catch (IllegalArgumentException e) {
            // The front doors validate first, but a command the log cannot carry must never stop
            // the loop: that would let one client's bad request take the node down.
            result.complete(new Outcome.Done(new KvResult.Invalid(e.getMessage(), false)));
            return;
        }
        ProposeResult r = core.propose(CommandCodec.encode(command, stamp()));
        if (r instanceof ProposeResult.Accepted a) {
            proposals++;
            pending.addWrite(a.index(), a.term(), result, deadlineNanos);
        } else {
            result.complete(new Outcome.NotExecuted(((ProposeResult.NotLeader) r).leaderHint()));
        }
    }

    /**
     * A linearizable read (thesis 6.4): the leader confirms its leadership with a quorum; a follower or
     * learner asks its leader for the read index. Either way the read is served here, from this node's
     * state machine, once it has applied up to that index ({@link PendingRequests#serveReadsUpTo}).
     */
    private void read(KvRequest request, CompletableFuture<Outcome> result, long deadlineNanos) {
        if (readsOnlyAsLeader && core.role() != Role.LEADER) {
            result.complete(new Outcome.NotExecuted(core.leader()));
            return;
        }
        long readId = pending.nextReadId();
        if (core.readIndex(readId)) {
            readIndexRequests++;
            pending.addRead(readId, request, result, deadlineNanos);
        } else {
            result.complete(new Outcome.NotExecuted(core.leader()));
        }
    }

    /** An entry's time: the log's time as this node counts it ({@link LogClock}), never the wall clock. */
    private long stamp() {
        return logClock.now();
    }

    /** A leader proposes a time entry when a key or session is due to expire (at most every 250 ms). */
    private void maybeProposeExpiryTick() {
        if (core.role() == Role.LEADER && logClock.expiryTickDue(stateMachine.nextDeadlineMs())
                && core.propose(CommandCodec.encode(new Command.Tick(), stamp())) instanceof ProposeResult.Accepted) {
            proposals++;
        }
    }

    // ---------------------------------------------------------------- graceful stop

    private void goSilent() {
        long leader = core.leader();
        stop.silence(leader != id && leader != RaftCore.NONE ? leader : stop.target());
    }

    /**
     * A leader handing over goes silent once it has stepped down, or once the core gave the
     * transfer up (after an election timeout). Checked before the Ready's messages go out, so that
     * a node that stepped down answers nothing, not even the vote that made its successor.
     */
    private void maybeFinishHandover() {
        if (stop.transferring() && (core.role() != Role.LEADER || !core.transferringLeadership())) goSilent();
    }

    /**
     * Once silent, after the batch's Ready was applied (so writes it committed were answered): the
     * commands still pending here can no longer be finished by this node. Reads go to the leader;
     * writes may yet commit under the new leader, so their outcome is unknown (the service retries
     * those that carry a request id).
     */
    private void finishSilence() {
        pending.leaving(stop.leaderHint(), "node " + id + " is stopping: outcome unknown");
        stop.releaseParked();
        log.info("node {}: stopped taking part in Raft (term {}); client commands go to node {}", id, core.term(),
                stop.leaderHint());
    }

    // ---------------------------------------------------------------- Ready

    /** Does what the core asks after a batch of events, then advances it. */
    public void handleReady() {
        try {
            handleReady(core.ready());
            // The sync may have let the leader commit its own entries (a cluster of one): apply them now.
            if (core.hasCommittedToApply()) handleReady(core.ready());
            if (stop.silent() && !stop.silenced().isDone()) finishSilence();
        } finally {
            discardUnusedSnapshots();
        }
    }

    private void handleReady(Ready r) {
        maybeFinishHandover();
        if (r.isEmpty()) {
            core.advance(r);
            return;
        }
        readyWatcher.accept(r);
        if (r.softState() != null) {
            knownLeader = r.softState().leader();
            events.roleChanged(r.softState());
        }
        // A leader's AppendEntries go out first, so that followers write while it writes (thesis 10.2.1).
        if (!stop.silent()) {
            for (Message m : r.messages()) if (r.sendableBeforeSync(m)) transport.send(m);
        }
        if (r.hardState() != null) storage.saveHardState(r.hardState());
        if (r.snapshot() != null) installSnapshot(r.snapshot());
        if (!r.entries().isEmpty()) storage.append(r.entries());
        if (r.mustSync()) storage.sync();
        membershipWatch.notice(core.membership());
        for (Message m : r.messages()) {
            if (r.sendableBeforeSync(m)) continue; // sent above
            if (Message.isRequest(m)) {
                if (!stop.silent()) transport.send(m);
            } else if (Message.isOneWay(m)) {
                // A leader asked to stop confirms no follower's reads, as it serves none of its own (below).
                boolean confirmsRead = m instanceof Message.ReadIndexResponse a && a.granted();
                if (!stop.silent() && !(confirmsRead && stop.requested())) transport.send(m);
            } else {
                // From the moment a stop is asked for, this node acknowledges nothing: a leader handing
                // over that a successor has already deposed (while its last Ready still said it led,
                // so the signal did not silence it at once) must not count in the successor's quorums.
                owedReplies.answer(m, stop.requested());
            }
        }
        for (Entry e : r.committedEntries()) {
            pending.applied(e, stateMachine.apply(e), core.leader());
            snapshots.applied(e);
        }
        if (membershipWatch.shouldLetGo(core.membership(), core.role())) {
            pending.leaving(membershipWatch.nextVoter(core.membership()), "node " + id + " was removed from the cluster: outcome unknown");
        }
        logClock.observe(stateMachine.clockMs());
        r.readStates().forEach(pending::confirmed);
        r.droppedReads().forEach(pending::dropped);
        // Once a stop is asked for, reads go to the successor (pending.leaving): a read confirmed by
        // heartbeats after the signal must not count a quorum the stopping node is leaving.
        if (!stop.requested()) pending.serveReadsUpTo(stateMachine.appliedIndex(), this::serve);
        if (snapshots.due(stateMachine.appliedIndex())) snapshots.write(stateMachine.snapshotView(), snapshotDone);
        core.advance(r);
    }

    /**
     * The core accepted a leader's snapshot its log does not cover: make it durable, then this
     * node's state. Commands this node proposed at or below the snapshot's index (as a leader
     * since deposed) may or may not be in it: their outcome is unknown.
     */
    private void installSnapshot(SnapshotMeta meta) {
        SnapshotKeeper.Received received = receivedSnapshots.remove(meta);
        if (received == null) throw new IllegalStateException("the core installs snapshot " + meta + ", which no leader sent");
        snapshots.install(meta, received);
        stateMachine = received.machine();
        logClock.observe(stateMachine.clockMs());
        pending.writesOutcomeUnknownUpTo(meta.index(), "outcome unknown: this node installed a snapshot from the new leader");
        log.info("node {}: installed the leader's snapshot at entry {} (term {}): {} keys", id, meta.index(), meta.term(),
                stateMachine.size());
    }

    /**
     * Reads the state machine. Whether a key has expired is judged by the log's clock only, never
     * by this node's: a key hidden by one leader's clock could otherwise reappear on a new leader
     * whose clock is behind. The leader proposes a time entry as soon as a deadline passes
     * ({@link #maybeProposeExpiryTick}), so expired keys vanish within a fraction of a second. The
     * time left that getm shows is counted on this node's count of the log's time, which never
     * goes backwards.
     */
    private KvResult serve(KvRequest request) {
        if (core.role() != Role.LEADER) followerReadsServed++;
        Optional<Stored> stored = stateMachine.get(request.key(), stateMachine.clockMs());
        if (stored.isEmpty()) return new KvResult.NotFound();
        Stored s = stored.get();
        long ttl = KvStateMachine.ttlSecondsLeft(s.expiresAtMs(), stateMachine.effectiveNowMs(stamp()));
        return new KvResult.Found(s.value(), s.version(), ttl);
    }
}
