package raftkv.sim;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import raftkv.jepsen.Budget;
import raftkv.jepsen.Call;
import raftkv.jepsen.CheckResult;
import raftkv.jepsen.History;
import raftkv.jepsen.HistoryChecker;
import raftkv.jepsen.Verdict;
import raftkv.kv.RequestId;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;

/**
 * The simulation's clients: a few processes, each with one command at a time, sending set, get,
 * getm, cas and delete on a handful of keys through a random live node's {@code KvService}, as
 * text clients (every write with a request id) and gRPC clients (some writes without) do. Their
 * history, with simulated times, is checked for linearizability at the end of the run. A command
 * in flight on a node that crashes or stops ends as "info" (the connection broke: outcome unknown).
 */
final class SimClients {
    private static final String[] KEYS = {"a", "b", "c"};
    // The checker's budget per key: generous for the few hundred operations of a run, and counted
    // in steps, not seconds, so that a seed's verdict does not depend on the machine's speed.
    private static final Budget BUDGET = new Budget(Duration.ofMinutes(10), 20_000_000L);

    private final class Process {
        final int number;
        final Map<String, Long> versionSeen = new HashMap<>();
        long sequence;
        InFlight inFlight;

        Process(int number) {
            this.number = number;
        }
    }

    private record InFlight(Process process, History.Pending op, SimNode node, int incarnation) {}

    private final SplittableRandom random;
    private final List<SimNode> nodes;
    private final List<Process> processes = new ArrayList<>();
    private final History history;
    private final Consumer<String> failure;
    private final double rate;
    // A client of its own for the liveness write, outside the checked history's processes.
    private final Process livenessClient;
    private final List<InFlight> inFlight = new ArrayList<>();
    long acks;
    long reads;
    // Reads sent to a node that did not lead when they were sent.
    long readsToFollowers;

    SimClients(SplittableRandom random, List<SimNode> nodes, int processes, LongSupplier clock, Consumer<String> failure) {
        this.random = random;
        this.nodes = nodes;
        this.history = new History(clock);
        this.failure = failure;
        for (int i = 1; i <= processes; i++) this.processes.add(new Process(i));
        this.livenessClient = new Process(processes + 1);
        // Each idle process starts a command with this probability per unit of time.
        this.rate = 0.02 + random.nextDouble() * 0.1;
    }

    /** Idle processes may start a command now. */
    void act() {
        for (Process p : processes) {
            if (p.inFlight == null && random.nextDouble() < rate) {
                List<SimNode> inUse = nodes.stream().filter(n -> n.starts > 0).toList();
                SimNode node = inUse.get(random.nextInt(inUse.size()));
                if (node.alive()) start(p, node, false);
            }
        }
    }

    boolean livenessWriteInFlight() {
        return livenessClient.inFlight != null;
    }

    /** The liveness phase's write, through {@code node} (nothing if it is down). */
    void livenessWrite(SimNode node) {
        if (node.alive()) start(livenessClient, node, true);
    }

    /** A node crashed or exited: the commands its clients were waiting on end with outcome unknown. */
    void nodeDown(SimNode node) {
        for (InFlight f : List.copyOf(inFlight)) {
            if (f.node() == node) finish(f, null);
        }
    }

    /** Checks the history of every command; null if it is linearizable. */
    String checkHistory() {
        CheckResult r = HistoryChecker.check(history.ops(), BUDGET);
        if (r.verdict() == Verdict.NOT_LINEARIZABLE) return "the clients' history is not linearizable: " + r.violation();
        if (r.verdict() == Verdict.UNKNOWN) return "the checker ran out of budget on the clients' history";
        return null;
    }

    private void start(Process p, SimNode node, boolean liveness) {
        String key = liveness ? "live" : KEYS[random.nextInt(KEYS.length)];
        String value = "p" + p.number + "-" + (p.sequence + 1);
        ByteString k = ByteString.copyFromUtf8(key);
        ByteString v = ByteString.copyFromUtf8(value);
        Call call;
        KvRequest request;
        int kind = liveness ? 0 : random.nextInt(10);
        if (kind < 4) {
            call = new Call.Set(key, value);
            request = new KvRequest.Set(k, v, 0, requestId(p, liveness));
        } else if (kind < 6) {
            call = new Call.Get(key);
            request = new KvRequest.Get(k);
        } else if (kind < 7) {
            call = new Call.GetM(key);
            request = new KvRequest.GetMeta(k);
        } else if (kind < 9) {
            long expected = random.nextInt(4) == 0 ? 1 + random.nextInt(50) : p.versionSeen.getOrDefault(key, 1L);
            call = new Call.Cas(key, expected, value);
            request = new KvRequest.Cas(k, expected, v, 0, requestId(p, liveness));
        } else {
            call = new Call.Delete(key);
            request = new KvRequest.Delete(k, requestId(p, liveness));
        }
        if (!request.isWrite() && node.core.role() != raftkv.raft.Role.LEADER) readsToFollowers++;
        History.Pending op = history.invoke(p.number, call);
        InFlight f = new InFlight(p, op, node, node.incarnation());
        p.inFlight = f;
        inFlight.add(f);
        CompletableFuture<KvResult> reply = node.service.execute(request);
        reply.whenComplete((result, error) -> {
            try {
                if (error != null) failure.accept("the service failed a future: " + error);
                else if (p.inFlight == f && f.node().incarnation() == f.incarnation()) finish(f, result);
            } catch (RuntimeException e) {
                failure.accept("recording " + call + " -> " + result + " failed: " + e);
            }
        });
    }

    /** Most writes carry a request id, as text writes always do; some, as from a gRPC client without one, do not. */
    private RequestId requestId(Process p, boolean liveness) {
        p.sequence++;
        return liveness || random.nextInt(5) != 0 ? new RequestId(p.number, p.sequence) : RequestId.NONE;
    }

    /** Ends a command with the node's answer, or with outcome unknown ({@code result} null: the node went down). */
    private void finish(InFlight f, KvResult result) {
        inFlight.remove(f);
        f.process().inFlight = null;
        History.Pending op = f.op();
        Call call = op.call();
        if (result == null) {
            op.info("connection lost");
        } else if (result instanceof KvResult.Written w) {
            op.ok(w.version());
            f.process().versionSeen.put(call.key(), w.version());
            acks++;
        } else if (result instanceof KvResult.Deleted) {
            op.deleted();
            acks++;
        } else if (result instanceof KvResult.Found found) {
            op.value(found.value().toStringUtf8(), found.version());
            f.process().versionSeen.put(call.key(), found.version());
            reads++;
        } else if (result instanceof KvResult.NotFound) {
            op.notFound();
            if (!(call instanceof Call.Delete || call instanceof Call.Cas)) reads++;
        } else if (result instanceof KvResult.VersionMismatch) {
            op.versionMismatch();
        } else if (result instanceof KvResult.Unavailable u) {
            op.info(u.reason());
        } else {
            // Invalid, StaleRequest, NoSpace, Redirect or Internal: none is a right answer to these commands.
            op.info(String.valueOf(result));
            failure.accept("node " + f.node().id + " answered " + call + " with " + result);
        }
    }
}
