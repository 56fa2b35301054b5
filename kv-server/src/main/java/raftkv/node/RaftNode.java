package raftkv.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.kv.KvStateMachine;
import raftkv.kv.SnapshotView;
import raftkv.raft.Membership;
import raftkv.raft.RaftCore;
import raftkv.transport.Transport;
import raftkv.wal.RaftStorage;

/**
 * The thread around a {@link NodeStep} (etcd's {@code node.go} around {@code rawnode.go}): one
 * thread drains the node's events, hands each to the step, and then has the step handle the core's
 * Ready once for the whole batch, so that one fsync covers every event of the batch (group commit).
 * Other threads talk to the node only through its {@link NodeInbox}: {@link #submit},
 * {@link #status()}, {@link #tick()} and the {@link PeerInbound} it registers with the transport.
 * Client commands are admitted by bytes in flight ({@link InflightBudget}) and, for writes that add
 * data, by the disk they leave ({@link DiskReserve}).
 */
public final class RaftNode implements CommandSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RaftNode.class);

    private final NodeStep step;
    private final SnapshotKeeper snapshots;
    private final Transport transport;
    private final Consumer<Throwable> onFatal;
    private final NodeInbox inbox = new NodeInbox();
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
                written -> inbox.putInternal(new NodeEvent.SnapshotWritten(written), () -> running));
        this.snapshots = snapshots;
        this.transport = transport;
        this.onFatal = onFatal;
        this.thread = new Thread(this::run, "raft-node-" + id);
        inbox.wakes(thread);
    }

    /** Starts the loop and begins accepting peer traffic. */
    public void start() {
        transport.start(new PeerInbound(step, inbox, () -> running));
        thread.start();
    }

    /** Advances logical time; called by the ticker. Never lost, whatever the queues hold. */
    public void tick() {
        inbox.tick();
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
        if (!inbox.offerClient(new NodeEvent.Submit(request, result, deadlineNanos))) {
            result.complete(new NodeStep.Outcome.NotExecuted(id()));
        }
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
        NodeEvent.Call<NodeStep.TransferResult> c =
                new NodeEvent.Call<>(step -> step.transferLeadership(target), new CompletableFuture<>());
        if (!running || !inbox.offerPeer(c)) c.refuse("node overloaded or stopping");
        return c.result();
    }

    /** Before {@link #start}: a stop counts as asked for once {@code signal} says so (SIGTERM seen natively). */
    public void stopAlsoRequestedWhen(BooleanSupplier signal) {
        step.stopAlsoRequestedWhen(signal);
    }

    /** Before {@link #start}: reads are served by the leader only, never by a follower (config {@code "forward": false}). */
    public void serveReadsOnlyAsLeader() {
        step.serveReadsOnlyAsLeader();
    }

    /** Calls {@code listener} on the node's thread with each membership that comes into force; before {@link #start}. */
    public void onMembershipChange(Consumer<Membership> listener) {
        step.onMembershipChange(listener);
    }

    /**
     * Runs {@code action} with the node's step on the node's thread (membership changes and lists);
     * the future completes with its result, or exceptionally if the node is overloaded or stopping.
     */
    public <T> CompletableFuture<T> call(Function<NodeStep, T> action) {
        NodeEvent.Call<T> c = new NodeEvent.Call<>(action, new CompletableFuture<>());
        if (!running || !inbox.offerClient(c)) c.refuse("node overloaded or stopping");
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
        inbox.putInternal(new NodeEvent.BeginStop(silenced), () -> running);
        return silenced;
    }

    @Override
    public long id() {
        return step.id();
    }

    /** The leader this node last knew of, or {@link RaftCore#NONE}; may lag the loop slightly. */
    @Override
    public long knownLeader() {
        return step.knownLeader();
    }

    // ---------------------------------------------------------------- the loop

    /** Each batch: the ticks owed, then the peer events waiting, then some client events, then one Ready. */
    private void run() {
        try {
            while (running) {
                int handled = 0;
                for (int ticks = inbox.takeTicks(); ticks > 0; ticks--, handled++) step.tick();
                handled += inbox.drain(this::handle, () -> running);
                if (handled == 0) {
                    inbox.awaitWork();
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

    private void handle(NodeEvent e) {
        if (e instanceof NodeEvent.PeerRequest p) {
            step.stepRequest(p.message(), p.reply());
        } else if (e instanceof NodeEvent.PeerResponse p) {
            step.stepResponse(p.message());
        } else if (e instanceof NodeEvent.PeerSnapshot p) {
            step.stepSnapshot(p.request(), p.received(), p.reply());
        } else if (e instanceof NodeEvent.SnapshotWritten w) {
            step.snapshotWritten(w.result());
        } else if (e instanceof NodeEvent.Submit s) {
            if (addsData(s.request())
                    && !diskReserve.take(InflightBudget.cost(s.request()), step.storeBytes(),
                            snapshots.logBytesBeforeNextSnapshot())) {
                s.result().complete(new NodeStep.Outcome.Done(new KvResult.NoSpace(true)));
            } else {
                step.submit(s.request(), s.result(), s.deadlineNanos());
            }
        } else if (e instanceof NodeEvent.Call<?> c) {
            c.run(step);
        } else if (e instanceof NodeEvent.BeginStop b) {
            step.beginStop().whenComplete((ok, error) -> b.silenced().complete(null));
        } else if (e instanceof NodeEvent.Stop) {
            running = false;
        }
    }

    /** Sets and cas may add data; deletes and reads never do, and go on when the disk is low. */
    private static boolean addsData(KvRequest request) {
        return request instanceof KvRequest.Set || request instanceof KvRequest.Cas;
    }

    private void failEverythingPending(String reason) {
        step.failAllPending(reason);
        inbox.refuseAll(reason);
    }

    /** Stops the loop; pending commands are answered as unavailable. Storage is closed by the owner. */
    @Override
    public void close() {
        running = false;
        if (!inbox.offerPeer(new NodeEvent.Stop())) LockSupport.unpark(thread); // it sees running at once
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        snapshots.close();
    }
}
