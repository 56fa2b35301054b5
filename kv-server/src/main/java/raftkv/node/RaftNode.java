package raftkv.node;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.kv.ApplyResult;
import raftkv.kv.Command;
import raftkv.kv.CommandCodec;
import raftkv.kv.KvStateMachine;
import raftkv.kv.Stored;
import raftkv.raft.Entry;
import raftkv.raft.Message;
import raftkv.raft.ProposeResult;
import raftkv.raft.RaftCore;
import raftkv.raft.ReadState;
import raftkv.raft.Ready;
import raftkv.raft.Role;
import raftkv.raft.SoftState;
import raftkv.raft.Status;
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

    private record Submit(KvRequest request, CompletableFuture<Outcome> result, long deadlineNanos) implements Event {}

    private record StatusQuery(CompletableFuture<NodeStatus> result) implements Event {}

    private record TransferLeadership(long target, CompletableFuture<TransferResult> result) implements Event {}

    private record Stop() implements Event {}

    private record PendingWrite(long term, CompletableFuture<Outcome> result, long deadlineNanos) {}

    private record PendingRead(KvRequest request, CompletableFuture<Outcome> result, long deadlineNanos) {}

    private record ReleasedRead(long index, PendingRead read) {}

    private final long id;
    private final RaftCore core;
    private final KvStateMachine stateMachine;
    private final RaftStorage storage;
    private final Transport transport;
    private final Clock clock;
    private final Consumer<Throwable> onFatal;
    private final BlockingQueue<Event> events = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread thread;

    // Owned by the node thread.
    private final Map<Long, PendingWrite> writesByIndex = new HashMap<>();
    private final Map<Long, PendingRead> readsById = new HashMap<>();
    private final PriorityQueue<ReleasedRead> readsAwaitingApply =
            new PriorityQueue<>((a, b) -> Long.compare(a.index(), b.index()));
    // Answers owed to peers, per (peer, kind of response), in the order their requests were stepped:
    // the core answers every request exactly once and in order (Message's contract).
    private final Map<Long, ArrayDeque<Consumer<Message>>> owedReplies = new HashMap<>();
    private long nextReadId = 1;
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
    public RaftNode(long id, RaftCore core, KvStateMachine stateMachine, RaftStorage storage, Transport transport,
                    Clock clock, Consumer<Throwable> onFatal) {
        this.onFatal = onFatal;
        this.id = id;
        this.core = core;
        this.stateMachine = stateMachine;
        this.storage = storage;
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

            // INTEGRATOR: minimal stub so the tree compiles; snapshots are not installed yet. The
            // file is deleted and the peer told UNAVAILABLE (null reply), so the leader retries.
            @Override
            public void onSnapshot(Message.SnapshotRequest request, java.nio.file.Path file, Consumer<Message> reply) {
                try {
                    java.nio.file.Files.deleteIfExists(file);
                } catch (java.io.IOException e) {
                    log.warn("cannot delete the received snapshot {}: {}", file, e.toString());
                }
                reply.accept(null);
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
            expireDeadlines();
            maybeProposeExpiryTick();
        } else if (e instanceof PeerRequest p) {
            stepPeerRequest(p);
        } else if (e instanceof PeerResponse p) {
            stepPeer(p.message());
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
        owedReplies.computeIfAbsent(replyKey(m.from(), responseKind(m)), k -> new ArrayDeque<>()).addLast(p.reply());
    }

    /** Steps a peer message; false if the core refused it as not for this cluster. */
    private boolean stepPeer(Message m) {
        try {
            core.step(m);
            return true;
        } catch (IllegalArgumentException e) {
            log.warn("node {}: dropping message from {}: {}", id, m.from(), e.getMessage());
            return false;
        }
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
            writesByIndex.put(a.index(), new PendingWrite(a.term(), s.result(), s.deadlineNanos()));
        } else {
            s.result().complete(new Outcome.NotExecuted(((ProposeResult.NotLeader) r).leaderHint()));
        }
    }

    private void read(Submit s) {
        long readId = nextReadId++;
        if (core.readIndex(readId)) {
            readsById.put(readId, new PendingRead(s.request(), s.result(), s.deadlineNanos()));
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

    private void expireDeadlines() {
        long now = clock.nanos();
        writesByIndex.values().removeIf(w -> expired(w.result(), w.deadlineNanos(), now));
        readsById.values().removeIf(r -> expired(r.result(), r.deadlineNanos(), now));
        readsAwaitingApply.removeIf(r -> expired(r.read().result(), r.read().deadlineNanos(), now));
    }

    private static boolean expired(CompletableFuture<Outcome> f, long deadlineNanos, long now) {
        if (now - deadlineNanos < 0) return false;
        f.complete(new Outcome.Done(new KvResult.Unavailable("not committed within the request timeout", null)));
        return true;
    }

    // ---------------------------------------------------------------- Ready

    private void handleReady() {
        Ready r = core.ready();
        if (r.isEmpty()) {
            core.advance(r);
            return;
        }
        if (r.softState() != null) {
            knownLeader = r.softState().leader();
            logRoleChange(r.softState());
        }
        if (r.hardState() != null) storage.saveHardState(r.hardState());
        if (r.snapshot() != null) {
            throw new IllegalStateException("received a snapshot, but this build cannot install snapshots");
        }
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
        for (Entry e : r.committedEntries()) apply(e);
        for (ReadState rs : r.readStates()) {
            PendingRead read = readsById.remove(rs.requestId());
            if (read != null) readsAwaitingApply.add(new ReleasedRead(rs.index(), read));
        }
        for (long dropped : r.droppedReads()) {
            PendingRead read = readsById.remove(dropped);
            if (read != null) read.result().complete(new Outcome.NotExecuted(RaftCore.NONE));
        }
        serveReadsUpTo(stateMachine.appliedIndex());
        core.advance(r);
    }

    private void apply(Entry e) {
        ApplyResult result = stateMachine.apply(e);
        PendingWrite w = writesByIndex.remove(e.index());
        if (w == null) return;
        if (w.term() == e.term()) {
            w.result().complete(new Outcome.Done(Commands.toKvResult(result)));
        } else {
            // Another leader's entry took this index: ours was never applied, so it may be retried.
            w.result().complete(new Outcome.NotExecuted(core.leader()));
        }
    }

    private void serveReadsUpTo(long applied) {
        while (!readsAwaitingApply.isEmpty() && readsAwaitingApply.peek().index() <= applied) {
            PendingRead read = readsAwaitingApply.poll().read();
            read.result().complete(new Outcome.Done(serve(read.request())));
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
        KvResult unavailable = new KvResult.Unavailable(reason, null);
        writesByIndex.values().forEach(w -> w.result().complete(new Outcome.Done(unavailable)));
        readsById.values().forEach(r -> r.result().complete(new Outcome.Done(unavailable)));
        readsAwaitingApply.forEach(r -> r.read().result().complete(new Outcome.Done(unavailable)));
        Event e;
        while ((e = events.poll()) != null) {
            if (e instanceof Submit s) s.result().complete(new Outcome.Done(unavailable));
            if (e instanceof PeerRequest p) p.reply().accept(null);
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
    }
}
