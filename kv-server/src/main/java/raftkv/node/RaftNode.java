package raftkv.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.kv.Command;
import raftkv.kv.CommandCodec;
import raftkv.kv.KvStateMachine;
import raftkv.kv.Stored;
import raftkv.raft.Entry;
import raftkv.raft.Message;
import raftkv.raft.ProposeResult;
import raftkv.raft.RaftCore;
import raftkv.raft.Ready;
import raftkv.raft.Role;
import raftkv.raft.SnapshotMeta;
import raftkv.raft.SoftState;
import raftkv.raft.Status;
import raftkv.raft.StepResult;
import raftkv.transport.Transport;
import raftkv.wal.RaftStorage;

/**
 * The loop that owns one node's Raft core and state machine. A single thread drains a bounded
 * queue of events (ticks, peer messages, client commands, status queries), steps the core, and
 * then handles the core's Ready once for the whole batch: persist and sync (one fsync covers every
 * event of the batch: group commit), send, apply, answer. Other threads talk to it only through
 * {@link #submit}, {@link #status()} and the {@link Transport.Inbound} it registers.
 */
public final class RaftNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RaftNode.class);
    private static final int QUEUE_CAPACITY = 65_536;
    private static final int MAX_BATCH = 4096;
    // A leader proposes a time entry at most this often, so that expiry advances through the log.
    private static final long EXPIRY_TICK_INTERVAL_MS = 250;

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

    /** A node's view of itself, for Status calls. */
    public record NodeStatus(Status raft, long appliedIndex, int keys) {}

    /** Whether this node led, and so began a leadership transfer, and its term when asked. */
    public record TransferResult(boolean started, long term) {}

    private sealed interface Event {}

    private record Tick() implements Event {}

    private record PeerRequest(Message message, Consumer<Message> reply) implements Event {}

    private record PeerResponse(Message message) implements Event {}

    private record PeerSnapshot(Message.SnapshotRequest request, SnapshotKeeper.Received received,
                                Consumer<Message> reply) implements Event {}

    private record SnapshotWritten(SnapshotKeeper.Written result) implements Event {}

    private record Submit(KvRequest request, CompletableFuture<Outcome> result, long deadlineNanos) implements Event {}

    private record StatusQuery(CompletableFuture<NodeStatus> result) implements Event {}

    private record TransferLeadership(long target, CompletableFuture<TransferResult> result) implements Event {}

    private record Stop() implements Event {}

    private final long id;
    private final RaftCore core;
    // Replaced whole when the node installs a snapshot from its leader.
    private KvStateMachine stateMachine;
    private final RaftStorage storage;
    private final SnapshotKeeper snapshots;
    private final Transport transport;
    private final Clock clock;
    private final Consumer<Throwable> onFatal;
    private final BlockingQueue<Event> events = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread thread;

    // Owned by the node thread.
    private final PendingRequests pending = new PendingRequests();
    // Answers owed to peers, per (peer, kind of response), in the order their requests were stepped:
    // the core answers every request exactly once and in order (Message's contract).
    private final Map<Long, ArrayDeque<Consumer<Message>>> owedReplies = new HashMap<>();
    // Snapshots received from leaders in the current batch, until its Ready shows whether the core
    // installs them; the files of those it does not are deleted.
    private final Map<SnapshotMeta, SnapshotKeeper.Received> receivedSnapshots = new HashMap<>();
    private long lastStampMs;
    private long lastExpiryTickMs;
    private volatile boolean running = true;
    // The leader as last seen by the loop, for other threads (leader hints on gRPC responses).
    private volatile long knownLeader = RaftCore.NONE;

    /** Source of wall-clock time (for entry timestamps and expiry) and of monotonic time (deadlines). */
    public interface Clock {
        long wallMillis();

        long nanos();

        Clock SYSTEM = new Clock() {
            @Override
            public long wallMillis() {
                return System.currentTimeMillis();
            }

            @Override
            public long nanos() {
                return System.nanoTime();
            }
        };
    }

    /**
     * @param onFatal called once, on the node thread, if the loop meets a broken invariant or a
     *                storage failure; the node has stopped by then and must not be restarted in-process
     */
    public RaftNode(long id, RaftCore core, KvStateMachine stateMachine, RaftStorage storage, SnapshotKeeper snapshots,
                    Transport transport, Clock clock, Consumer<Throwable> onFatal) {
        this.onFatal = onFatal;
        this.id = id;
        this.core = core;
        this.stateMachine = stateMachine;
        this.storage = storage;
        this.snapshots = snapshots;
        this.transport = transport;
        this.clock = clock;
        this.thread = new Thread(this::run, "raft-node-" + id);
    }

    /** Starts the loop and begins accepting peer traffic. */
    public void start() {
        transport.start(new Transport.Inbound() {
            @Override
            public void onRequest(Message request, Consumer<Message> reply) {
                if (!events.offer(new PeerRequest(request, reply))) reply.accept(null); // overloaded: the peer retries
            }

            @Override
            public void onResponse(Message response) {
                events.offer(new PeerResponse(response)); // dropped if overloaded: Raft retries
            }

            @Override
            public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {
                // Read here, on the transport's thread: the node thread only swaps the machine in.
                SnapshotKeeper.Received received;
                try {
                    received = new SnapshotKeeper.Received(file, SnapshotKeeper.read(file, request.snapshot()));
                } catch (IOException | RuntimeException e) {
                    log.warn("node {}: the snapshot node {} sent for entry {} is unusable: {}", id, request.from(),
                            request.snapshot().index(), e.getMessage());
                    SnapshotKeeper.discard(file);
                    reply.accept(null);
                    return;
                }
                if (!running || !events.offer(new PeerSnapshot(request, received, reply))) {
                    SnapshotKeeper.discard(file);
                    reply.accept(null);
                }
            }
        });
        thread.start();
    }

    /** Advances logical time; called by the ticker. */
    public void tick() {
        events.offer(new Tick());
    }

    /** Hands a command to the node. The future never completes exceptionally. */
    public CompletableFuture<Outcome> submit(KvRequest request, long deadlineNanos) {
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        if (!running || !events.offer(new Submit(request, result, deadlineNanos))) {
            result.complete(new Outcome.Done(new KvResult.Unavailable("node is overloaded or stopping", null)));
        }
        return result;
    }

    public CompletableFuture<NodeStatus> status() {
        CompletableFuture<NodeStatus> result = new CompletableFuture<>();
        if (!events.offer(new StatusQuery(result))) result.completeExceptionally(new IllegalStateException("node overloaded"));
        return result;
    }

    /**
     * Asks the core to hand leadership to {@code target} (thesis 3.10), if this node leads; the
     * future says whether it did. The transfer itself completes (or is abandoned after an election
     * timeout) later. Used by the test-only fault injection service.
     */
    public CompletableFuture<TransferResult> transferLeadership(long target) {
        CompletableFuture<TransferResult> result = new CompletableFuture<>();
        if (!running || !events.offer(new TransferLeadership(target, result))) {
            result.completeExceptionally(new IllegalStateException("node overloaded or stopping"));
        }
        return result;
    }

    public long id() {
        return id;
    }

    /** The leader this node last knew of, or {@link RaftCore#NONE}; may lag the loop slightly. */
    public long knownLeader() {
        return knownLeader;
    }

    // ---------------------------------------------------------------- the loop

    private void run() {
        try {
            while (running) {
                Event first = events.poll(1, TimeUnit.SECONDS);
                if (first == null) continue;
                handle(first);
                for (int i = 0; i < MAX_BATCH && running; i++) {
                    Event next = events.poll();
                    if (next == null) break;
                    handle(next);
                }
                handleReady();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            // A broken invariant or a storage failure: this node must not go on with unknown state.
            log.error("node {}: fatal error in the raft loop, stopping", id, e);
            running = false;
            failEverythingPending("node stopped on an internal error");
            onFatal.accept(e);
            return;
        }
        failEverythingPending("node is stopping");
    }

    private void handle(Event e) {
        if (e instanceof Tick) {
            core.tick();
            pending.expire(clock.nanos());
            maybeProposeExpiryTick();
        } else if (e instanceof PeerRequest p) {
            stepPeerRequest(p);
        } else if (e instanceof PeerResponse p) {
            stepPeer(p.message());
        } else if (e instanceof PeerSnapshot p) {
            stepPeerSnapshot(p);
        } else if (e instanceof SnapshotWritten w) {
            snapshots.written(w.result(), core.snapshotMeta().index()).ifPresent(core::compact);
        } else if (e instanceof Submit s) {
            if (s.request().isWrite()) propose(s);
            else read(s);
        } else if (e instanceof StatusQuery q) {
            q.result().complete(new NodeStatus(core.status(), stateMachine.appliedIndex(), stateMachine.size()));
        } else if (e instanceof TransferLeadership t) {
            boolean leads = core.role() == Role.LEADER && t.target() != id;
            if (leads) core.transferLeadership(t.target());
            t.result().complete(new TransferResult(leads, core.term()));
        } else if (e instanceof Stop) {
            running = false;
        }
    }

    private void stepPeerRequest(PeerRequest p) {
        Message m = p.message();
        if (m instanceof Message.TimeoutNow) {
            p.reply().accept(null);
            stepPeer(m);
            return;
        }
        if (!stepPeer(m)) {
            p.reply().accept(null);
            return;
        }
        oweReply(m, p.reply());
    }

    private void stepPeerSnapshot(PeerSnapshot p) {
        if (!stepPeer(p.request())) {
            SnapshotKeeper.discard(p.received().file());
            p.reply().accept(null);
            return;
        }
        SnapshotKeeper.Received older = receivedSnapshots.put(p.request().snapshot(), p.received());
        if (older != null) SnapshotKeeper.discard(older.file());
        oweReply(p.request(), p.reply());
    }

    /** Queues {@code reply} for the core's answer to {@code request}, a request the core took. */
    private void oweReply(Message request, Consumer<Message> reply) {
        owedReplies.computeIfAbsent(replyKey(request.from(), responseKind(request)), k -> new ArrayDeque<>()).addLast(reply);
    }

    /**
     * Steps a peer message; false if the core refused it as contradicting Raft (bad input from the
     * network: logged, dropped, and no answer owed). Anything the core throws is a bug here and stops the loop.
     */
    private boolean stepPeer(Message m) {
        if (core.step(m) instanceof StepResult.Refused r) {
            log.error("node {}: refused {} from node {}: {}", id, m.getClass().getSimpleName(), r.from(), r.reason());
            return false;
        }
        return true;
    }

    private void propose(Submit s) {
        Command command;
        try {
            command = Commands.toCommand(s.request());
        } catch (IllegalArgumentException e) {
            // The front doors validate first, but a command the log cannot carry must never stop
            // the loop: that would let one client's bad request take the node down.
            s.result().complete(new Outcome.Done(new KvResult.Invalid(e.getMessage(), false)));
            return;
        }
        ProposeResult r = core.propose(CommandCodec.encode(command, stamp()));
        if (r instanceof ProposeResult.Accepted a) {
            pending.addWrite(a.index(), a.term(), s.result(), s.deadlineNanos());
        } else {
            s.result().complete(new Outcome.NotExecuted(((ProposeResult.NotLeader) r).leaderHint()));
        }
    }

    private void read(Submit s) {
        long readId = pending.nextReadId();
        if (core.readIndex(readId)) {
            pending.addRead(readId, s.request(), s.result(), s.deadlineNanos());
        } else {
            s.result().complete(new Outcome.NotExecuted(core.leader()));
        }
    }

    /** Entry timestamps never go backwards on this node, whatever the wall clock does. */
    private long stamp() {
        lastStampMs = Math.max(lastStampMs, clock.wallMillis());
        return lastStampMs;
    }

    private void maybeProposeExpiryTick() {
        if (core.role() != Role.LEADER) return;
        long now = clock.wallMillis();
        if (now >= stateMachine.nextDeadlineMs() && now - lastExpiryTickMs >= EXPIRY_TICK_INTERVAL_MS) {
            lastExpiryTickMs = now;
            core.propose(CommandCodec.encode(new Command.Tick(), stamp()));
        }
    }

    // ---------------------------------------------------------------- Ready

    private void handleReady() {
        try {
            handleReady(core.ready());
        } finally {
            receivedSnapshots.values().forEach(unused -> SnapshotKeeper.discard(unused.file()));
            receivedSnapshots.clear();
        }
    }

    private void handleReady(Ready r) {
        if (r.isEmpty()) {
            core.advance(r);
            return;
        }
        if (r.softState() != null) {
            knownLeader = r.softState().leader();
            logRoleChange(r.softState());
        }
        if (r.hardState() != null) storage.saveHardState(r.hardState());
        if (r.snapshot() != null) installSnapshot(r.snapshot());
        if (!r.entries().isEmpty()) storage.append(r.entries());
        if (r.mustSync()) storage.sync();
        for (Message m : r.messages()) {
            if (Message.isRequest(m) || m instanceof Message.TimeoutNow) {
                transport.send(m);
            } else {
                ArrayDeque<Consumer<Message>> owed = owedReplies.get(replyKey(m.to(), kindOf(m)));
                Consumer<Message> reply = owed == null ? null : owed.pollFirst();
                if (reply != null) reply.accept(m);
            }
        }
        for (Entry e : r.committedEntries()) {
            pending.applied(e, stateMachine.apply(e), core.leader());
            snapshots.applied(e);
        }
        r.readStates().forEach(pending::confirmed);
        r.droppedReads().forEach(pending::dropped);
        pending.serveReadsUpTo(stateMachine.appliedIndex(), this::serve);
        if (snapshots.due(stateMachine.appliedIndex())) {
            snapshots.write(stateMachine.snapshotView(), written -> enqueueInternal(new SnapshotWritten(written)));
        }
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
        pending.writesOutcomeUnknownUpTo(meta.index(), "outcome unknown: this node installed a snapshot from the new leader");
        log.info("node {}: installed the leader's snapshot at entry {} (term {}): {} keys", id, meta.index(), meta.term(),
                stateMachine.size());
    }

    /** For events from this node's own helpers, which must not be lost: waits for room in the queue. */
    private void enqueueInternal(Event e) {
        try {
            while (running && !events.offer(e, 1, TimeUnit.SECONDS)) {
                log.debug("node {}: event queue full, still waiting to report {}", id, e);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Reads the state machine. Whether a key has expired is judged by the log's clock only, never
     * by this node's: a key hidden by one leader's clock could otherwise reappear on a new leader
     * whose clock is behind. The leader proposes a time entry as soon as a deadline passes
     * ({@link #maybeProposeExpiryTick}), so expired keys vanish within a fraction of a second. The
     * time left that getm shows is counted on this node's clock, which never goes backwards.
     */
    private KvResult serve(KvRequest request) {
        Optional<Stored> stored = stateMachine.get(request.key(), stateMachine.clockMs());
        if (stored.isEmpty()) return new KvResult.NotFound();
        Stored s = stored.get();
        long ttl = KvStateMachine.ttlSecondsLeft(s.expiresAtMs(), stateMachine.effectiveNowMs(stamp()));
        return new KvResult.Found(s.value(), s.version(), ttl);
    }

    private void logRoleChange(SoftState s) {
        switch (s.role()) {
            case LEADER -> log.info("node {}: became leader in term {}", id, s.term());
            case CANDIDATE -> log.info("node {}: election timeout, campaigning in term {}", id, s.term());
            case PRE_CANDIDATE -> log.info("node {}: election timeout, pre-vote for term {}", id, s.term() + 1);
            case FOLLOWER -> {
                if (s.leader() == RaftCore.NONE) log.info("node {}: follower in term {}, no leader known", id, s.term());
                else log.info("node {}: follower in term {}, leader is {}", id, s.term(), s.leader());
            }
        }
    }

    private void failEverythingPending(String reason) {
        pending.failAll(reason);
        KvResult unavailable = new KvResult.Unavailable(reason, null);
        Event e;
        while ((e = events.poll()) != null) {
            if (e instanceof Submit s) s.result().complete(new Outcome.Done(unavailable));
            if (e instanceof PeerRequest p) p.reply().accept(null);
            if (e instanceof PeerSnapshot p) {
                SnapshotKeeper.discard(p.received().file());
                p.reply().accept(null);
            }
            if (e instanceof StatusQuery q) q.result().completeExceptionally(new IllegalStateException(reason));
            if (e instanceof TransferLeadership t) t.result().completeExceptionally(new IllegalStateException(reason));
        }
    }

    // Kinds of response, for matching answers to the requests that are owed them.
    private static int responseKind(Message request) {
        if (request instanceof Message.VoteRequest) return 0;
        if (request instanceof Message.AppendRequest) return 1;
        return 2;
    }

    private static int kindOf(Message response) {
        if (response instanceof Message.VoteResponse) return 0;
        if (response instanceof Message.AppendResponse) return 1;
        return 2;
    }

    private static long replyKey(long peer, int kind) {
        return peer * 4 + kind;
    }

    /** Stops the loop; pending commands are answered as unavailable. Storage is closed by the owner. */
    @Override
    public void close() {
        running = false;
        events.offer(new Stop());
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        snapshots.close();
    }
}
