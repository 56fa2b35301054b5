package raftkv.gateway;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Live counters of one {@link TextServer}, for status output and tests. Thread-safe. */
public final class GatewayStats {
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger pausedConnections = new AtomicInteger();
    private final AtomicInteger peakPendingCommands = new AtomicInteger();
    private final AtomicLong peakPendingBytes = new AtomicLong();
    private final AtomicLong peakOutboundBytes = new AtomicLong();
    private final AtomicLong commands = new AtomicLong();
    private final AtomicLong refusedConnections = new AtomicLong();
    private final AtomicLong overBudgetConnections = new AtomicLong();

    /** Open client connections. */
    public int connections() {
        return connections.get();
    }

    /** Connections whose reading is paused by backpressure right now. */
    public int pausedConnections() {
        return pausedConnections.get();
    }

    /** The most commands one connection has had pending (decoded, not yet answered) at once. */
    public int peakPendingCommands() {
        return peakPendingCommands.get();
    }

    /** The most value and reply bytes one connection has held at once. */
    public long peakPendingBytes() {
        return peakPendingBytes.get();
    }

    /**
     * The most reply bytes one connection has had queued in Netty, written but not yet taken by
     * the socket: replies are written only while the channel is writable, so this stays near the
     * write buffer's high water mark plus one reply.
     */
    public long peakOutboundBytes() {
        return peakOutboundBytes.get();
    }

    /** Items decoded (commands and malformed ones) since the server started. */
    public long commands() {
        return commands.get();
    }

    /** Connections refused at accept since the server started: over maxConnections. */
    public long refusedConnections() {
        return refusedConnections.get();
    }

    /** Connections closed because their unfinished command did not fit the server's buffer budget. */
    public long overBudgetConnections() {
        return overBudgetConnections.get();
    }

    void refused() {
        refusedConnections.incrementAndGet();
    }

    void overBudget() {
        overBudgetConnections.incrementAndGet();
    }

    void connectionOpened() {
        connections.incrementAndGet();
    }

    void connectionClosed() {
        connections.decrementAndGet();
    }

    void paused(boolean paused) {
        pausedConnections.addAndGet(paused ? 1 : -1);
    }

    void decoded(int pendingCommands) {
        commands.incrementAndGet();
        peakPendingCommands.accumulateAndGet(pendingCommands, Math::max);
    }

    void outbound(long bytes) {
        peakOutboundBytes.accumulateAndGet(bytes, Math::max);
    }

    void holding(long pendingBytes) {
        peakPendingBytes.accumulateAndGet(pendingBytes, Math::max);
    }
}
