package raftkv.node;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import raftkv.raft.RaftCore;

/**
 * Where a node is in leaving the cluster on SIGTERM (SPEC 2). A follower goes silent at once: from
 * then on it steps no peer message into its core, answers none, and sends none, so no quorum (of
 * votes, appends or ReadIndex heartbeats) can count it. A leader first hands leadership to its most
 * up-to-date follower; the client commands that reach it meanwhile are parked, and once it has
 * stepped down (or the core abandoned the transfer, after an election timeout) it goes silent and
 * sends them on to the new leader.
 *
 * <p>{@link #silent()} and {@link #leaderHint()} are read by any thread; everything else is owned by
 * the node thread.
 */
final class GracefulStop {
    enum Phase {
        /** Not stopping. */
        RUNNING,
        /** A leader handing leadership to {@link #target()}; client commands are parked. */
        TRANSFERRING,
        /** Out of Raft for good: no message in or out. */
        SILENT
    }

    private volatile Phase phase = Phase.RUNNING;
    // Set by the signal handler's thread the moment the stop is asked for, before the node thread
    // hears of it: from then on a leader serves no read and takes no command (they wait for its successor).
    private volatile boolean requested;
    private volatile BooleanSupplier signalled = () -> false;
    // Where commands go once this node is silent: the leader it followed, the follower it handed
    // leadership to, or the sender of the newest AppendEntries it refused since.
    private volatile long leaderHint = RaftCore.NONE;
    private long hintTerm = -1;
    private long target = RaftCore.NONE;
    private final List<CompletableFuture<NodeStep.Outcome>> parked = new ArrayList<>();
    private final CompletableFuture<Void> silenced = new CompletableFuture<>();

    Phase phase() {
        return phase;
    }

    /** The stop was asked for (any thread). */
    void request() {
        requested = true;
    }

    boolean requested() {
        return requested || signalled.getAsBoolean();
    }

    /** {@code signal} tells of a stop before {@link #request} does (the process's SIGTERM, seen natively). */
    void alsoRequestedWhen(BooleanSupplier signal) {
        this.signalled = signal;
    }

    boolean silent() {
        return phase == Phase.SILENT;
    }

    boolean transferring() {
        return phase == Phase.TRANSFERRING;
    }

    /** Completes once the node takes no further part in Raft. */
    CompletableFuture<Void> silenced() {
        return silenced;
    }

    long leaderHint() {
        return leaderHint;
    }

    long target() {
        return target;
    }

    /** The node leads: hand leadership to {@code follower} before going silent. */
    void startTransfer(long follower) {
        phase = Phase.TRANSFERRING;
        target = follower;
    }

    /** A command that reached a leader handing over: answered once the node is silent. */
    void park(CompletableFuture<NodeStep.Outcome> result) {
        parked.add(result);
    }

    /**
     * Goes silent, from any thread (the signal handler's, for a follower). {@code leader}: the
     * leader to send commands to from now on, or {@link RaftCore#NONE}.
     */
    synchronized void silence(long leader) {
        if (leader != RaftCore.NONE && leaderHint == RaftCore.NONE) leaderHint = leader;
        phase = Phase.SILENT;
    }

    /**
     * A silent node refused an AppendEntries of {@code term} from {@code from}: that node leads (or
     * led) a newer term, so commands go there.
     */
    synchronized void observeLeader(long from, long term) {
        if (term > hintTerm) {
            hintTerm = term;
            leaderHint = from;
        }
    }

    /**
     * Answers the parked commands as not executed, so they go to {@link #leaderHint()}, and reports
     * the node silent. Node thread, after {@link #silence}.
     */
    void releaseParked() {
        NodeStep.Outcome notHere = new NodeStep.Outcome.NotExecuted(leaderHint);
        parked.forEach(p -> p.complete(notHere));
        parked.clear();
        silenced.complete(null);
    }
}
