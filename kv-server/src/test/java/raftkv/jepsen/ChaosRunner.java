package raftkv.jepsen;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * One Jepsen-style run against a real cluster: start the nodes, let clients work while the nemesis
 * injects faults, heal, restart every node, read every key, check the whole history. See
 * {@link ChaosMain} for the command line and {@link ChaosReport} for what it prints.
 */
final class ChaosRunner {
    private static final Duration LEADER_TIMEOUT = Duration.ofSeconds(60);
    // Machines that can replace removed nodes in a run with membership faults, one each.
    private static final int MEMBERSHIP_SPARES = 8;
    // For all the final reads together.
    private static final Duration FINAL_READ_TIMEOUT = Duration.ofSeconds(90);
    // Room beyond the planned duration for the fault in progress to be cut short and healed.
    private static final Duration NEMESIS_GRACE = Duration.ofSeconds(60);

    private final ChaosOptions options;
    private final PrintStream out;
    private final long began = System.nanoTime();

    ChaosRunner(ChaosOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Runs the whole scenario; every node process is gone when it returns or throws. */
    ChaosReport run() throws IOException, InterruptedException {
        Path dir = options.dir() != null ? Files.createDirectories(options.dir()) : Files.createTempDirectory("raftkv-chaos-");
        List<FaultPlan.Step> plan = FaultPlan.generate(options.seed(), options.nodes(), options.duration(), options.membership());
        log("seed " + options.seed() + ": " + plan.size() + " faults planned for " + options.duration().toSeconds() + " s; files in " + dir);
        out.print(FaultPlan.describe(plan));
        ChaosReport report;
        // With membership faults, spare machines replace the nodes removed (ids are never reused).
        try (ChaosCluster cluster = new ChaosCluster(dir, options.nodes(), options.membership() ? MEMBERSHIP_SPARES : 0, List.of(
                "\"requestTimeoutMs\": " + options.requestTimeoutMs(), "\"electionTimeoutMs\": " + options.electionTimeoutMs(),
                "\"heartbeatMs\": " + options.heartbeatMs(), "\"fsync\": true", "\"testFaultInjection\": true",
                "\"snapshotEntries\": " + ChaosOptions.SNAPSHOT_ENTRIES))) {
            report = run(cluster, plan);
        }
        if (report.passed() && !options.keepData()) deleteRecursively(dir);
        return report;
    }

    private ChaosReport run(ChaosCluster cluster, List<FaultPlan.Step> plan) throws IOException, InterruptedException {
        cluster.startAll();
        OptionalInt first = LeaderWatch.awaitAgreedLeader(cluster, LEADER_TIMEOUT);
        if (first.isEmpty()) throw new IllegalStateException("no leader within " + LEADER_TIMEOUT.toSeconds() + " s of start");
        List<Integer> silent = LeaderWatch.awaitServing(cluster, cluster.ids(), LEADER_TIMEOUT);
        if (!silent.isEmpty()) throw new IllegalStateException("nodes " + silent + " never answered after start");
        log("cluster up, leader is node " + first.getAsInt());

        History history = new History();
        List<String> keys = Stream.iterate(0, i -> i + 1).limit(options.keys()).map(i -> "k" + i).toList();
        AtomicBoolean stopClients = new AtomicBoolean();
        LongAdder textOps = new LongAdder();
        LongAdder grpcOps = new LongAdder();
        ChaosClient.Shared shared = new ChaosClient.Shared(cluster, history, keys, options.clientTimeoutMs(),
                options.maxThinkMs(), stopClients, textOps, grpcOps);

        LeaderWatch watch = new LeaderWatch(cluster);
        Thread watcher = daemon(watch, "leader-watch");
        // Clients draw from streams split off the seed, after the fault plan's own stream.
        SplittableRandom clientSeeds = new SplittableRandom(options.seed() ^ 0x5DEECE66DL);
        List<Thread> clients = new ArrayList<>();
        for (int p = 0; p < options.clients(); p++) {
            clients.add(daemon(new ChaosClient(p, shared, clientSeeds.split()), "chaos-client-" + p));
        }
        long deadline = System.nanoTime() + options.duration().toNanos();
        Nemesis nemesis = new Nemesis(cluster, plan, deadline, this::log);
        Thread nemesisThread = daemon(nemesis, "nemesis");
        try {
            nemesisThread.join(options.duration().plus(NEMESIS_GRACE).toMillis());
        } finally {
            nemesis.stop();
            nemesisThread.join(NEMESIS_GRACE.toMillis());
            stopClients.set(true);
            for (Thread c : clients) c.join(TimeUnit.SECONDS.toMillis(60));
            watch.stop();
            watcher.join(TimeUnit.SECONDS.toMillis(10));
        }
        log("chaos over: " + history.ops().size() + " operations; restarting every node (kill -9, then start)");
        Set<LeaderWatch.Reign> reigns = watch.reigns();

        cluster.ids().forEach(cluster::kill);
        cluster.startAll();
        OptionalInt leader = LeaderWatch.awaitAgreedLeader(cluster, LEADER_TIMEOUT);
        log(leader.isPresent() ? "leader after the restart: node " + leader.getAsInt() : "no leader after the restart");
        Map<String, Op> finalReads = finalReads(cluster, history, keys, leader.orElse(cluster.ids().get(0)));
        List<String> missing = keys.stream().filter(k -> !finalReads.containsKey(k)).toList();

        List<Op> ops = history.ops();
        Path saved = cluster.dir().resolve("history.jsonl");
        HistoryFile.write(saved, ops);
        Files.write(cluster.dir().resolve("routing.tsv"), shared.routing());
        log("checking " + ops.size() + " operations (saved in " + saved + ")");
        CheckResult check = HistoryChecker.check(ops);
        AckAudit.Result audit = AckAudit.audit(ops, finalReads);
        return new ChaosReport(options, began, cluster.dir(), ops, textOps.sum(), grpcOps.sum(), reigns, nemesis.injected(), audit,
                missing, cluster.crashes(), check, Duration.ofNanos(System.nanoTime() - began));
    }

    /**
     * One client (a process of its own in the history) reads every key with getm, retrying each
     * until it gets an answer, all within {@link #FINAL_READ_TIMEOUT}. Returns the answering op per key.
     */
    private Map<String, Op> finalReads(ChaosCluster cluster, History history, List<String> keys, int preferred) {
        int process = options.clients();
        GrpcOps grpc = new GrpcOps(1, options.clientTimeoutMs());
        Map<String, Op> answers = new LinkedHashMap<>();
        List<Integer> ids = cluster.ids();
        long deadline = System.nanoTime() + FINAL_READ_TIMEOUT.toNanos();
        for (String key : keys) {
            int attempt = 0;
            while (System.nanoTime() < deadline) {
                int node = attempt == 0 ? preferred : ids.get(attempt % ids.size());
                attempt++;
                History.Pending p = history.invoke(process, new Call.GetM(key));
                Op op = p.complete(grpc.execute(cluster.channel(node), new Call.GetM(key), null));
                if (op.outcome() instanceof Outcome.Value || op.outcome() instanceof Outcome.NotFound) {
                    answers.put(key, op);
                    break;
                }
                Waits.elapse(Duration.ofMillis(200), () -> false);
            }
        }
        log("final reads: " + answers.size() + " of " + keys.size() + " keys answered");
        return answers;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void log(String line) {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        synchronized (out) {
            out.printf("[%4d.%03d s] %s%n", ms / 1000, ms % 1000, line);
            out.flush();
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
