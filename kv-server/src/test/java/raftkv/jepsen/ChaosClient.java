package raftkv.jepsen;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import raftkv.proto.kv.RequestId;

/**
 * One chaos client: a thread that runs random set/get/getm/cas/delete on a small keyspace, each
 * against a random running node over the text protocol or gRPC (chosen per operation; some text
 * commands go pipelined, several before the first reply), and records every operation in the
 * {@link History}: invoked just before the command is sent, completed just after its answer
 * arrives. Every call has a deadline, so the loop ends within a
 * few seconds of {@code stop}.
 */
final class ChaosClient implements Runnable {
    /** What every client shares: the cluster, the history, the keys, the tuning and the counters. */
    record Shared(ChaosCluster cluster, History history, List<String> keys, int timeoutMs, int maxThinkMs,
                  AtomicBoolean stop, LongAdder textOps, LongAdder grpcOps, Map<String, Long> newestVersions,
                  Queue<String> routing, Map<Integer, Long> suspectUntil) {
        Shared(ChaosCluster cluster, History history, List<String> keys, int timeoutMs, int maxThinkMs,
               AtomicBoolean stop, LongAdder textOps, LongAdder grpcOps) {
            this(cluster, history, keys, timeoutMs, maxThinkMs, stop, textOps, grpcOps, new ConcurrentHashMap<>(),
                    new ConcurrentLinkedQueue<>(), new ConcurrentHashMap<>());
        }
    }

    // A node that let a call time out is avoided by every client for this long (unless no other serves),
    // so that one paused node does not end up holding every client at once.
    private static final long SUSPECT_NANOS = TimeUnit.SECONDS.toNanos(3);

    // While no node is known to serve (every node restarting), clients wait this long between looks.
    private static final Duration NOBODY_SERVING_WAIT = Duration.ofMillis(100);

    // Of 100 operations: the share of each verb.
    private static final int SET = 30, GET = 15, GETM = 20, CAS = 25; // the rest are deletes
    private static final int GRPC_WRITE_ATTEMPTS = 3;
    // One text operation in this many sends 2 to 4 commands in one go before reading the replies.
    private static final int PIPELINE_ONE_IN = 5;

    private final int process;
    private final Shared shared;
    private final SplittableRandom random;
    private final GrpcOps grpc;
    private final Map<Integer, TextOps> text = new HashMap<>();
    // The newest version this client has seen per key, for its cas calls.
    private final Map<String, Long> seenVersions = new HashMap<>();
    private long written;

    ChaosClient(int process, Shared shared, SplittableRandom random) {
        this.process = process;
        this.shared = shared;
        this.random = random;
        long clientId = random.nextLong();
        this.grpc = new GrpcOps(clientId == 0 ? 1 : clientId, shared.timeoutMs());
    }

    @Override
    public void run() {
        try {
            while (!shared.stop().get()) {
                runOne();
                int think = random.nextInt(shared.maxThinkMs() + 1);
                if (think > 0) Waits.elapse(Duration.ofMillis(think), () -> shared.stop().get());
            }
        } finally {
            text.values().forEach(TextOps::close);
        }
    }

    private void runOne() {
        String key = shared.keys().get(random.nextInt(shared.keys().size()));
        Call call = nextCall(key);
        int node = pickNode();
        boolean useGrpc = random.nextBoolean();
        if (node < 0) {
            Waits.elapse(NOBODY_SERVING_WAIT, () -> shared.stop().get());
            return;
        }
        if (!useGrpc) {
            List<Call> calls = new ArrayList<>(List.of(call));
            if (random.nextInt(PIPELINE_ONE_IN) == 0) {
                for (int i = 0, more = 1 + random.nextInt(3); i < more; i++) {
                    calls.add(nextCall(shared.keys().get(random.nextInt(shared.keys().size()))));
                }
            }
            viaText(node, calls);
            return;
        }
        History.Pending op = shared.history().invoke(process, call);
        shared.grpcOps().increment();
        Outcome outcome = viaGrpc(node, call);
        done(op.complete(outcome), node, "grpc");
    }

    /** Sends the calls in one go (several: pipelined); each op ends as its reply arrives. */
    private void viaText(int node, List<Call> calls) {
        TextOps ops = text.computeIfAbsent(node, id -> new TextOps(ChaosCluster.HOST,
                shared.cluster().server(id).clientPort(), shared.timeoutMs()));
        List<History.Pending> pending = new ArrayList<>();
        for (Call c : calls) pending.add(shared.history().invoke(process, c));
        shared.textOps().add(calls.size());
        ops.executePipelined(calls, (i, outcome) -> done(pending.get(i).complete(outcome), node,
                calls.size() > 1 ? "text-pipelined" : "text"));
    }

    private void done(Op op, int node, String via) {
        if (op.outcome() instanceof Outcome.Info info && timedOut(info)) {
            shared.suspectUntil().put(node, System.nanoTime() + SUSPECT_NANOS);
        }
        // Which node and protocol served each op, for reading a failed run's history beside the node logs.
        shared.routing().add(op.id() + "\t" + process + "\t" + node + "\t" + via);
        learn(op.key(), op.outcome());
    }

    private Call nextCall(String key) {
        int dice = random.nextInt(100);
        if (dice < SET) return new Call.Set(key, nextValue());
        if (dice < SET + GET) return new Call.Get(key);
        if (dice < SET + GET + GETM) return new Call.GetM(key);
        if (dice < SET + GET + GETM + CAS) {
            // The newest version any client has seen (often current), the one this client saw last
            // (often stale), or one just before it (most likely never the key's).
            int pick = random.nextInt(8);
            long seen = pick < 4 ? shared.newestVersions().getOrDefault(key, 1L) : seenVersions.getOrDefault(key, 1L);
            long expected = pick == 7 ? Math.max(1, seen - 1 - random.nextInt(3)) : seen;
            return new Call.Cas(key, expected, nextValue());
        }
        return new Call.Delete(key);
    }

    /** Unique across the whole run, so the checker can tell every write apart. */
    private String nextValue() {
        return "p" + process + "-" + (++written);
    }

    /**
     * A node believed to be serving (paused ones included: the client cannot know), preferring
     * those that have not let a call time out lately; -1 if none serves.
     */
    private int pickNode() {
        List<Integer> serving = shared.cluster().ids().stream().filter(shared.cluster()::serving).toList();
        long now = System.nanoTime();
        List<Integer> trusted = serving.stream().filter(id -> now - shared.suspectUntil().getOrDefault(id, now) >= 0).toList();
        List<Integer> from = trusted.isEmpty() ? serving : trusted;
        return from.isEmpty() ? -1 : from.get(random.nextInt(from.size()));
    }

    private static boolean timedOut(Outcome.Info info) {
        return info.error().startsWith(TextOps.NO_REPLY) || info.error().contains("DEADLINE_EXCEEDED");
    }

    /** Reads try once; writes retry an unknown outcome with the same request id through other nodes. */
    private Outcome viaGrpc(int node, Call call) {
        if (!call.isWrite()) return grpc.execute(shared.cluster().channel(node), call, null);
        RequestId id = grpc.nextRequestId();
        Outcome outcome = grpc.execute(shared.cluster().channel(node), call, id);
        for (int attempt = 1; attempt < GRPC_WRITE_ATTEMPTS && GrpcOps.retryable(outcome) && !shared.stop().get(); attempt++) {
            int next = pickNode();
            outcome = grpc.execute(shared.cluster().channel(next < 0 ? node : next), call, id);
        }
        return outcome;
    }

    private void learn(String key, Outcome outcome) {
        long version = outcome instanceof Outcome.Ok ok ? ok.version()
                : outcome instanceof Outcome.Value v ? v.version() : 0;
        if (version > 0) {
            seenVersions.put(key, version);
            shared.newestVersions().merge(key, version, Math::max);
        }
        if (outcome instanceof Outcome.Deleted) seenVersions.remove(key);
    }
}
