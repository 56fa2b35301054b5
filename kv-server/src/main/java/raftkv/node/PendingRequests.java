package raftkv.node;

import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import raftkv.kv.ApplyResult;
import raftkv.node.NodeStep.Outcome;
import raftkv.raft.Entry;
import raftkv.raft.RaftCore;
import raftkv.raft.ReadState;

/**
 * The client commands a node has handed to its core and not answered yet: writes by the log
 * index they were proposed at, reads by their ReadIndex id until the core confirms them, then by
 * the index the state machine must reach. Each is answered exactly once: by its outcome, by its
 * deadline, or when the node stops. Owned by the node thread.
 */
final class PendingRequests {
    private record Write(long term, CompletableFuture<Outcome> result, long deadlineNanos) {}

    private record Read(KvRequest request, CompletableFuture<Outcome> result, long deadlineNanos) {}

    private record Released(long index, Read read) {}

    private final Map<Long, Write> writesByIndex = new HashMap<>();
    private final Map<Long, Read> readsById = new HashMap<>();
    // Reads the core confirmed, waiting for the state machine to apply up to their index.
    private final PriorityQueue<Released> readsAwaitingApply = new PriorityQueue<>((a, b) -> Long.compare(a.index(), b.index()));
    private long nextReadId = 1;

    /** The id of the next ReadIndex request; pass it to the core, then to {@link #addRead} if it took it. */
    long nextReadId() {
        return nextReadId++;
    }

    /** A write the core appended at {@code index} in {@code term}. */
    void addWrite(long index, long term, CompletableFuture<Outcome> result, long deadlineNanos) {
        writesByIndex.put(index, new Write(term, result, deadlineNanos));
    }

    void addRead(long readId, KvRequest request, CompletableFuture<Outcome> result, long deadlineNanos) {
        readsById.put(readId, new Read(request, result, deadlineNanos));
    }

    /**
     * Entry {@code e} was applied with {@code result}: answers the write proposed at its index, if
     * any. An entry of another term at that index means ours was replaced, never applied, so it
     * may be retried.
     */
    void applied(Entry e, ApplyResult result, long leaderHint) {
        Write w = writesByIndex.remove(e.index());
        if (w == null) return;
        if (w.term() == e.term()) {
            w.result().complete(new Outcome.Done(Commands.toKvResult(result)));
        } else {
            w.result().complete(new Outcome.NotExecuted(leaderHint));
        }
    }

    /** The core confirmed a read: it may be served once the state machine reaches its index. */
    void confirmed(ReadState rs) {
        Read read = readsById.remove(rs.requestId());
        if (read != null) readsAwaitingApply.add(new Released(rs.index(), read));
    }

    /** The core will never confirm this read (it lost leadership): safe to retry elsewhere. */
    void dropped(long readId) {
        Read read = readsById.remove(readId);
        if (read != null) read.result().complete(new Outcome.NotExecuted(RaftCore.NONE));
    }

    /** Serves, with {@code serve}, every confirmed read whose index is at most {@code applied}. */
    void serveReadsUpTo(long applied, Function<KvRequest, KvResult> serve) {
        while (!readsAwaitingApply.isEmpty() && readsAwaitingApply.peek().index() <= applied) {
            Read read = readsAwaitingApply.poll().read();
            read.result().complete(new Outcome.Done(serve.apply(read.request())));
        }
    }

    /**
     * The state machine jumped to a snapshot at {@code index}: the writes proposed at or below it
     * may or may not be in it, so their outcome is unknown.
     */
    void writesOutcomeUnknownUpTo(long index, String reason) {
        writesByIndex.entrySet().removeIf(w -> {
            if (w.getKey() > index) return false;
            w.getValue().result().complete(new Outcome.Done(new KvResult.Unavailable(reason, null)));
            return true;
        });
    }

    /** Answers every request whose deadline has passed. */
    void expire(long nowNanos) {
        writesByIndex.values().removeIf(w -> expired(w.result(), w.deadlineNanos(), nowNanos));
        readsById.values().removeIf(r -> expired(r.result(), r.deadlineNanos(), nowNanos));
        readsAwaitingApply.removeIf(r -> expired(r.read().result(), r.read().deadlineNanos(), nowNanos));
    }

    /**
     * The node leaves the cluster and will not finish what it has pending: reads, not executed, go
     * to {@code leaderHint}; writes may still commit under another leader, so their outcome is unknown.
     */
    void leaving(long leaderHint, String reason) {
        Outcome notHere = new Outcome.NotExecuted(leaderHint);
        readsById.values().forEach(r -> r.result().complete(notHere));
        readsAwaitingApply.forEach(r -> r.read().result().complete(notHere));
        readsById.clear();
        readsAwaitingApply.clear();
        Outcome unknown = new Outcome.Done(new KvResult.Unavailable(reason, null));
        writesByIndex.values().forEach(w -> w.result().complete(unknown));
        writesByIndex.clear();
    }

    /** Answers everything as unavailable: the node is stopping. */
    void failAll(String reason) {
        Outcome unavailable = new Outcome.Done(new KvResult.Unavailable(reason, null));
        writesByIndex.values().forEach(w -> w.result().complete(unavailable));
        readsById.values().forEach(r -> r.result().complete(unavailable));
        readsAwaitingApply.forEach(r -> r.read().result().complete(unavailable));
        writesByIndex.clear();
        readsById.clear();
        readsAwaitingApply.clear();
    }

    private static boolean expired(CompletableFuture<Outcome> f, long deadlineNanos, long now) {
        if (now - deadlineNanos < 0) return false;
        f.complete(new Outcome.Done(new KvResult.Unavailable("not committed within the request timeout", null)));
        return true;
    }
}
