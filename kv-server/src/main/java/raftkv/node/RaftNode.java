package raftkv.node;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.kv.KvStateMachine;
import raftkv.kv.SnapshotView;
import raftkv.raft.Message;
import raftkv.raft.RaftCore;
import raftkv.transport.Transport;
import raftkv.wal.RaftStorage;

/**
 * The thread around a {@link NodeStep} (etcd's {@code node.go} around {@code rawnode.go}): one
 * thread drains the node's events, hands each to the step, and then has the step handle the core's
 * Ready once for the whole batch, so that one fsync covers every event of the batch (group commit).
 * Other threads talk to the node only through its queues: {@link #submit}, {@link #status()},
 * {@link #tick()} and the {@link Transport.Inbound} it registers.
 *
 * <p>Raft's own traffic has a path client load cannot block or drop (SPEC 11): ticks are counted,
 * never queued, so none is ever lost; peer messages and the node's own events have their queue,
 * drained first in every batch; client commands and status queries have another, bounded by count
 * and, for commands, by bytes in flight ({@link InflightBudget}). A full client queue refuses the
 * client, never a peer.
 */
public final class RaftNode implements CommandSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RaftNode.class);
    private static final int PEER_QUEUE_CAPACITY = 65_536;
    private static final int CLIENT_QUEUE_CAPACITY = 65_536;
    // Per batch: every peer event waiting (up to this), then up to CLIENT_BATCH client events, so
    // that a batch, and so the wait of the next tick, stays short under any client load.
    private static final int PEER_BATCH = 4096;
    private static final int CLIENT_BATCH = 1024;
    private static final long IDLE_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private sealed interface Event {}

    private record PeerRequest(Message message, Consumer<Message> reply) implements Event {}

    private record PeerResponse(Message message) implements Event {}

    private record PeerSnapshot(Message.SnapshotRequest request, SnapshotKeeper.Received received,
                                Consumer<Message> reply) implements Event {}

    private record SnapshotWritten(SnapshotKeeper.Written result) implements Event {}

    private record Submit(KvRequest request, CompletableFuture<NodeStep.Outcome> result, long deadlineNanos)
            implements Event {}

    private record BeginStop(CompletableFuture<Void> silenced) implements Event {}

    /** Runs {@code action} with the step on the loop and completes {@code result} with what it returns. */
    private record Call<T>(Function<NodeStep, T> action, CompletableFuture<T> result) implements Event {
        void run(NodeStep step) {
            try {
                result.complete(action.apply(step));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
                throw e;
            }
        }
    }

    private record Stop() implements Event {}

    private final NodeStep step;
    private final SnapshotKeeper snapshots;
    private final Transport transport;
    private final Consumer<Throwable> onFatal;
    // Peer messages and the node's own events (snapshot written, stop): never refused for client load.
    private final BlockingQueue<Event> peerEvents = new ArrayBlockingQueue<>(PEER_QUEUE_CAPACITY);
    // Client commands and status queries.
    private final BlockingQueue<Event> clientEvents = new ArrayBlockingQueue<>(CLIENT_QUEUE_CAPACITY);
    // Ticks owed to the core: counted, so that none is dropped whatever the queues hold.
    private final AtomicInteger ticksOwed = new AtomicInteger();
    private final InflightBudget inflight;
    private final DiskReserve diskReserve;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Builds the step with a snapshot writer that reports back through this node's queue.
     *
     * @param onFatal called once, on the node thread, if the loop meets a broken invariant or a
     *                storage failure; the node has stopped by then and must not be restarted in-process
     */
    public RaftNode(long id, RaftCore core, KvStateMachine stateMachine,
                    RaftStorage storage, SnapshotKeeper snapshots, Transport transport, Clock clock,
                    Consumer<Throwable> onFatal) {
        this(id, core, stateMachine, storage, snapshots, transport, clock, onFatal, Long.MAX_VALUE / 4, DiskReserve.none());
    }

    /**
     * @param inflightBytes the most bytes of client commands held at once (config
     *                      {@code inflightBytes}); see {@link InflightBudget}
     * @param diskReserve   when sets and cas are refused for want of disk space
     */
    public RaftNode(long id, RaftCore core, KvStateMachine stateMachine,
                    RaftStorage storage, SnapshotKeeper snapshots, Transport transport, Clock clock,
                    Consumer<Throwable> onFatal, long inflightBytes, DiskReserve diskReserve) {
        this.inflight = new InflightBudget(inflightBytes);
        this.diskReserve = diskReserve;
        this.step = new NodeStep(id, core, stateMachine, storage, snapshots, transport, clock,
                written -> enqueueInternal(new SnapshotWritten(written)));
        this.snapshots = snapshots;
        this.transport = transport;
        this.onFatal = onFatal;
        this.thread = new Thread(this::run, "raft-node-" + id);
    }

    /** Starts the loop and begins accepting peer traffic. */
    public void start() {
        transport.start(new Transport.Inbound() {
            @Override
            public void onRequest(Message request, Consumer<Message> reply) {
                // A silent node refuses at once, on the transport's thread: nothing it queued counts.
                if (step.silent()) step.refuseWhileSilent(request, reply);
                else if (!offerPeer(new PeerRequest(request, reply))) reply.accept(null); // overloaded: the peer retries
            }

            @Override
            public void onResponse(Message response) {
                if (!step.silent()) offerPeer(new PeerResponse(response)); // dropped if overloaded: Raft retries
            }

            @Override
            public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {
                // Read here, on the transport's thread: the node thread only swaps the machine in.
                Optional<SnapshotKeeper.Received> received = SnapshotKeeper.receive(step.id(), request, file);
                if (received.isEmpty() || !running || step.silent()
                        || !offerPeer(new PeerSnapshot(request, received.get(), reply))) {
                    SnapshotKeeper.discard(file);
                    reply.accept(null);
                }
            }
        });
        thread.start();
    }

    /** Advances logical time; called by the ticker. Never lost, whatever the queues hold. */
    public void tick() {
        ticksOwed.incrementAndGet();
        LockSupport.unpark(thread);
    }

    /**
     * Hands a client command to the loop. A command that would take the bytes in flight past the
     * cap, or find the client queue full, is answered at once as not executed here, with this node
     * as the leader hint: the service retries it after a pause (backpressure) until its deadline.
     */
    @Override
    public CompletableFuture<NodeStep.Outcome> submit(KvRequest request, long deadlineNanos) {
        CompletableFuture<NodeStep.Outcome> result = new CompletableFuture<>();
        if (!running) {
            result.complete(new NodeStep.Outcome.Done(new KvResult.Unavailable("node is stopping", null)));
            return result;
        }
        long cost = InflightBudget.cost(request);
        if (!inflight.tryAcquire(cost)) {
            result.complete(new NodeStep.Outcome.NotExecuted(id()));
            return result;
        }
        result.whenComplete((outcome, error) -> inflight.release(cost));
        if (!offerClient(new Submit(request, result, deadlineNanos))) result.complete(new NodeStep.Outcome.NotExecuted(id()));
        return result;
    }

    public CompletableFuture<NodeStep.NodeStatus> status() {
        return call(NodeStep::status);
    }

    /** Bytes of client commands held now, for tests and metrics. */
    long inflightBytes() {
        return inflight.heldBytes();
    }

    /**
     * The state machine as it is now, captured in O(1) on the node thread (an immutable view the
     * caller may write out on any thread while the node goes on applying). Its applied index is
     * at least that of every read this node answered before the call: a read confirmed by
     * ReadIndex and answered here, then this capture, gives a linearizable view of the whole store.
     */
    public CompletableFuture<SnapshotView> captureSnapshotView() {
        return call(NodeStep::snapshotView);
    }

    /**
     * Asks the core to hand leadership to {@code target} (thesis 3.10), if this node leads; the
     * future says whether it did. The transfer itself completes (or is abandoned after an election
     * timeout) later. Used by the test-only fault injection service.
     */
    public CompletableFuture<NodeStep.TransferResult> transferLeadership(long target) {
        // On the peer queue: moving the leader must work while clients flood the node.
        Call<NodeStep.TransferResult> c = new Call<>(step -> step.transferLeadership(target), new CompletableFuture<>());
        if (!running || !offerPeer(c)) c.result().completeExceptionally(new IllegalStateException("node overloaded or stopping"));
        return c.result();
    }

    /** Calls {@code listener} on the node's thread with each membership that comes into force; before {@link #start}. */
    public void onMembershipChange(java.util.function.Consumer<raftkv.raft.Membership> listener) {
        step.onMembershipChange(listener);
    }

    /**
     * Runs {@code action} with the node's step on the node's thread (membership changes and lists);
     * the future completes with its result, or exceptionally if the node is overloaded or stopping.
     */
    public <T> CompletableFuture<T> call(Function<NodeStep, T> action) {
        Call<T> c = new Call<>(action, new CompletableFuture<>());
        if (!running || !offerClient(c)) c.result().completeExceptionally(new IllegalStateException("node overloaded or stopping"));
        return c.result();
    }

    /**
     * Begins leaving the cluster (SIGTERM, SPEC 2); see {@link NodeStep#beginStop}. A node that did
     * not lead goes silent before this returns, on the caller's thread. The future completes once the
     * node is silent; the loop goes on running (commands handed to it are answered as not executed,
     * with the leader to forward them to) until {@link #close}.
     */
    public CompletableFuture<Void> beginGracefulStop() {
        step.requestStop();
        CompletableFuture<Void> silenced = new CompletableFuture<>();
        enqueueInternal(new BeginStop(silenced));
        return silenced;
    }

    @Override
    public long id() {
        return step.id();
    }

    /** The leader this node last knew of, or {@link RaftCore#NONE}; may lag the loop slightly. */
    public long knownLeader() {
        return step.knownLeader();
    }

    // ---------------------------------------------------------------- the loop

    private boolean offerPeer(Event e) {
        if (!peerEvents.offer(e)) return false;
        LockSupport.unpark(thread);
        return true;
    }

    private boolean offerClient(Event e) {
        if (!clientEvents.offer(e)) return false;
        LockSupport.unpark(thread);
        return true;
    }

    /**
     * Each batch: the ticks owed, then the peer events waiting, then some client events, then one
     * Ready. A producer unparks the thread after each offer; a permit given before the thread parks
     * makes the park return at once, so no event waits for the idle timeout.
     */
    private void run() {
        try {
            while (running) {
                int handled = 0;
                for (int ticks = ticksOwed.getAndSet(0); ticks > 0; ticks--, handled++) step.tick();
                handled += drain(peerEvents, PEER_BATCH);
                handled += drain(clientEvents, CLIENT_BATCH);
                if (handled == 0) {
                    LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                    continue;
                }
                step.handleReady();
            }
        } catch (RuntimeException | Error e) {
            // A broken invariant or a storage failure: this node must not go on with unknown state.
            log.error("node {}: fatal error in the raft loop, stopping", step.id(), e);
            running = false;
            failEverythingPending("node stopped on an internal error");
            onFatal.accept(e);
            return;
        }
        failEverythingPending("node is stopping");
    }

    private int drain(BlockingQueue<Event> queue, int max) {
        int n = 0;
        while (n < max && running) {
            Event e = queue.poll();
            if (e == null) break;
            handle(e);
            n++;
        }
        return n;
    }

    private void handle(Event e) {
        if (e instanceof PeerRequest p) {
            step.stepRequest(p.message(), p.reply());
        } else if (e instanceof PeerResponse p) {
            step.stepResponse(p.message());
        } else if (e instanceof PeerSnapshot p) {
            step.stepSnapshot(p.request(), p.received(), p.reply());
        } else if (e instanceof SnapshotWritten w) {
            step.snapshotWritten(w.result());
        } else if (e instanceof Submit s) {
            if (addsData(s.request())
                    && !diskReserve.take(InflightBudget.cost(s.request()), step.storeBytes(),
                            snapshots.logBytesBeforeNextSnapshot())) {
                s.result().complete(new NodeStep.Outcome.Done(new KvResult.NoSpace(true)));
            } else {
                step.submit(s.request(), s.result(), s.deadlineNanos());
            }
        } else if (e instanceof Call<?> c) {
            c.run(step);
        } else if (e instanceof BeginStop b) {
            step.beginStop().whenComplete((ok, error) -> b.silenced().complete(null));
        } else if (e instanceof Stop) {
            running = false;
        }
    }

    /** Sets and cas may add data; deletes and reads never do, and go on when the disk is low. */
    private static boolean addsData(KvRequest request) {
        return request instanceof KvRequest.Set || request instanceof KvRequest.Cas;
    }

    /** For events from this node's own helpers, which must not be lost: waits for room in the queue. */
    private void enqueueInternal(Event e) {
        try {
            while (running && !peerEvents.offer(e, 1, TimeUnit.SECONDS)) {
                log.debug("node {}: event queue full, still waiting to report {}", step.id(), e);
            }
            LockSupport.unpark(thread);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    private void failEverythingPending(String reason) {
        step.failAllPending(reason);
        KvResult unavailable = new KvResult.Unavailable(reason, null);
        Event e;
        while ((e = peerEvents.poll()) != null || (e = clientEvents.poll()) != null) {
            if (e instanceof Submit s) s.result().complete(new NodeStep.Outcome.Done(unavailable));
            if (e instanceof PeerRequest p) p.reply().accept(null);
            if (e instanceof PeerSnapshot p) {
                SnapshotKeeper.discard(p.received().file());
                p.reply().accept(null);
            }
            if (e instanceof Call<?> c) c.result().completeExceptionally(new IllegalStateException(reason));
            if (e instanceof BeginStop b) b.silenced().complete(null);
        }
    }

    /** Stops the loop; pending commands are answered as unavailable. Storage is closed by the owner. */
    @Override
    public void close() {
        running = false;
        peerEvents.offer(new Stop());
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        snapshots.close();
    }
}
