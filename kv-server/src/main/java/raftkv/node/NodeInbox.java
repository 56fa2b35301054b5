package raftkv.node;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The node thread's inbox, shaped so that client load can neither block nor drop Raft's own traffic
 * (SPEC 11): ticks are counted, never queued, so none is ever lost; peer messages and the node's
 * own events have a queue of their own, drained first in every batch; client commands and status
 * queries have another, bounded. A full client queue refuses the client, never a peer.
 *
 * <p>Any thread may offer; only the loop thread (given to {@link #wakes}) takes. A producer unparks
 * the loop after each offer; a permit given before the loop parks makes the park return at once, so
 * no event waits for the idle timeout.
 */
final class NodeInbox {
    private static final int PEER_QUEUE_CAPACITY = 65_536;
    private static final int CLIENT_QUEUE_CAPACITY = 65_536;
    // Per batch: every peer event waiting (up to this), then up to CLIENT_BATCH client events, so
    // that a batch, and so the wait of the next tick, stays short under any client load.
    private static final int PEER_BATCH = 4096;
    private static final int CLIENT_BATCH = 1024;
    private static final long IDLE_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final BlockingQueue<NodeEvent> peerEvents = new ArrayBlockingQueue<>(PEER_QUEUE_CAPACITY);
    private final BlockingQueue<NodeEvent> clientEvents = new ArrayBlockingQueue<>(CLIENT_QUEUE_CAPACITY);
    private final AtomicInteger ticksOwed = new AtomicInteger();
    private volatile Thread loop;

    /** The thread that takes from this inbox; offers wake it. */
    void wakes(Thread loopThread) {
        this.loop = loopThread;
    }

    void tick() {
        ticksOwed.incrementAndGet();
        wake();
    }

    /** Peer messages, admin calls that must work under client load, and the node's own events. */
    boolean offerPeer(NodeEvent e) {
        if (!peerEvents.offer(e)) return false;
        wake();
        return true;
    }

    /** Client commands and queries; false if the queue is full. */
    boolean offerClient(NodeEvent e) {
        if (!clientEvents.offer(e)) return false;
        wake();
        return true;
    }

    /** For events from the node's own helpers, which must not be lost: waits for room while {@code running}. */
    void putInternal(NodeEvent e, BooleanSupplier running) {
        try {
            while (running.getAsBoolean() && !peerEvents.offer(e, 1, TimeUnit.SECONDS)) {
                // The loop drains the peer queue first in every batch: room comes soon.
            }
            wake();
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /** The ticks owed since the last call. */
    int takeTicks() {
        return ticksOwed.getAndSet(0);
    }

    /** One batch: the peer events waiting, then some client events, each to {@code handler} while {@code running}. */
    int drain(Consumer<NodeEvent> handler, BooleanSupplier running) {
        return drain(peerEvents, PEER_BATCH, handler, running) + drain(clientEvents, CLIENT_BATCH, handler, running);
    }

    private static int drain(BlockingQueue<NodeEvent> queue, int max, Consumer<NodeEvent> handler, BooleanSupplier running) {
        int n = 0;
        while (n < max && running.getAsBoolean()) {
            NodeEvent e = queue.poll();
            if (e == null) break;
            handler.accept(e);
            n++;
        }
        return n;
    }

    /** Parks the loop until an offer, a tick, or the idle timeout. */
    void awaitWork() {
        LockSupport.parkNanos(this, IDLE_PARK_NANOS);
    }

    /** Refuses every event still queued (the loop has ended). */
    void refuseAll(String reason) {
        NodeEvent e;
        while ((e = peerEvents.poll()) != null || (e = clientEvents.poll()) != null) e.refuse(reason);
    }

    private void wake() {
        Thread t = loop;
        if (t != null) LockSupport.unpark(t);
    }
}
