package raftkv.node;

/**
 * The log's time as this node counts it (SPEC 11: expiry and session ages advance by the leader's
 * monotonic clock). Log time is milliseconds of elapsed time carried by the log: each entry is
 * stamped with it, and the state machine's clock is the highest stamp applied. No wall clock is
 * read, so a wall-clock step on any node, forward or back, moves no deadline.
 *
 * <p>A node counts on from the latest log time it has seen, with its own monotonic clock: the
 * latest stamp it applied, or its own count since, whichever is ahead. A leader stamps its
 * entries with this count, so a new leader continues the log's time from where its predecessor's
 * entries left it (monotonic clocks of different machines cannot be compared, so none is carried
 * across). A follower's count is never ahead of its leader's (it applies a stamp after the leader
 * took it), so a new leader never moves time forward by its election; the time with no leader at
 * all, and the time the whole cluster was down, are not counted: deadlines move later by that much,
 * never earlier. The count never goes back.
 *
 * <p>Not thread-safe: the node thread only.
 */
final class LogClock {
    private static final long NANOS_PER_MS = 1_000_000;
    // A leader proposes a time entry at most this often, so that expiry advances through the log.
    private static final long EXPIRY_TICK_INTERVAL_MS = 250;

    private final Clock clock;
    // The log time at baseNanos on this node's monotonic clock.
    private long baseMs;
    private long baseNanos;
    // Invariant: never decreases; what now() last returned.
    private long lastMs;
    private long lastExpiryTickMs;

    /** @param startMs the log's time on this node at start: the state machine's clock */
    LogClock(Clock clock, long startMs) {
        this.clock = clock;
        this.baseMs = startMs;
        this.baseNanos = clock.nanos();
        this.lastMs = startMs;
    }

    /** The log time now: never less than any earlier answer nor than any time {@link #observe}d. */
    long now() {
        long counted = baseMs + Math.max(0, clock.nanos() - baseNanos) / NANOS_PER_MS;
        lastMs = Math.max(lastMs, counted);
        return lastMs;
    }

    /** A log time seen in an applied entry (or a snapshot installed): counted on from, if ahead. */
    void observe(long logMs) {
        if (logMs > now()) {
            baseMs = logMs;
            baseNanos = clock.nanos();
            lastMs = logMs;
        }
    }

    /**
     * Whether a leader should propose a time entry now: a key or session expires by now ({@code
     * nextDeadlineMs}, the state machine's next deadline) and none was proposed in the last 250 ms.
     * A true answer counts as proposing one.
     */
    boolean expiryTickDue(long nextDeadlineMs) {
        long now = now();
        if (now < nextDeadlineMs || now - lastExpiryTickMs < EXPIRY_TICK_INTERVAL_MS) return false;
        lastExpiryTickMs = now;
        return true;
    }
}
