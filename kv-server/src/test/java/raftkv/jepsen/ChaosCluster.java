package raftkv.jepsen;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import raftkv.config.ClusterConfig;
import raftkv.config.ConfigLoader;
import raftkv.config.ServerSpec;

/**
 * A real cluster for the chaos runner: one {@code kv-server} JVM per node on 127.0.0.1 with free
 * ports, config and data under one folder, and a long-lived gRPC channel per node (client calls,
 * Status, FaultInjection). Nodes are killed with SIGKILL and paused with SIGSTOP / SIGCONT, always
 * by pid. Every process it started is killed by {@link #close()}, and by a shutdown hook if the
 * runner's JVM exits first (Ctrl-C, an exception).
 */
final class ChaosCluster implements AutoCloseable {
    static final String HOST = "127.0.0.1";

    private final Path dir;
    private final Path configFile;
    private final Path sparesConfigFile;
    private final ClusterConfig config;
    // Live processes by node id; a killed node has none. Paused: ids sent SIGSTOP and no SIGCONT yet.
    private final Map<Integer, Process> processes = new ConcurrentHashMap<>();
    private final Set<Integer> paused = ConcurrentHashMap.newKeySet();
    // Nodes seen answering since they last started: clients send only to these (and cannot tell paused ones).
    private final Set<Integer> serving = ConcurrentHashMap.newKeySet();
    // Nodes that exited without being killed by us: each a bug to report (a fatal error, a corrupt log).
    private final List<String> crashes = Collections.synchronizedList(new ArrayList<>());
    // Machines that start with --join: spares that replace a removed node.
    private final Set<Integer> joining = new HashSet<>();
    // The nodes in use, in the order of the initial ids; a removed node's place goes to its replacement.
    private final List<Integer> active = new ArrayList<>();
    // Spare machines (ids after the initial nodes') not used yet; a removed node's id is never used again.
    private final List<Integer> spares = new ArrayList<>();
    // A removed node's id -> the spare that took its place.
    private final Map<Integer, Integer> replacedBy = new ConcurrentHashMap<>();
    private final Map<Integer, ManagedChannel> channels = new TreeMap<>();
    private final Thread shutdownHook = new Thread(this::killEverything, "chaos-cluster-cleanup");
    private volatile boolean closed;

    /**
     * Writes {@code config.json} for {@code nodes} nodes under {@code dir}.
     *
     * @param extra top-level config members as JSON fragments, e.g. {@code "\"fsync\": true"}
     */
    ChaosCluster(Path dir, int nodes, List<String> extra) throws IOException {
        this(dir, nodes, 0, extra);
    }

    /**
     * As above, with {@code spareMachines} spare machines (ids {@code nodes} and up), which are not
     * members: each can replace a removed node once ({@link #replace}). The initial nodes get
     * {@code config.json}, whose servers are the initial membership; a spare gets {@code
     * config-spares.json}, the same with every spare's entry added, and starts with --join.
     */
    ChaosCluster(Path dir, int nodes, int spareMachines, List<String> extra) throws IOException {
        this.dir = dir;
        this.configFile = dir.resolve("config.json");
        this.sparesConfigFile = dir.resolve("config-spares.json");
        Set<Integer> taken = new HashSet<>();
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < nodes + spareMachines; i++) {
            entries.add(String.format("    {\"Id\": %d, \"Hostname\": \"%s\", \"ClientPort\": %d, \"LogPort\": %d}",
                    i, HOST, freePort(taken), freePort(taken)));
            (i < nodes ? active : spares).add(i);
        }
        Files.createDirectories(dir);
        Files.writeString(configFile, configJson(extra, entries.subList(0, nodes)));
        Files.writeString(sparesConfigFile, configJson(extra, entries));
        this.config = ConfigLoader.load(sparesConfigFile);
        for (ServerSpec s : config.servers()) {
            channels.put(s.id(), NettyChannelBuilder.forAddress(HOST, s.logPort()).usePlaintext().build());
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private static String configJson(List<String> extra, List<String> servers) {
        StringBuilder json = new StringBuilder("{\n  \"path\": \"data\",\n");
        for (String e : extra) json.append("  ").append(e).append(",\n");
        json.append("  \"servers\": [\n").append(String.join(",\n", servers)).append("\n  ]\n}\n");
        return json.toString();
    }

    ClusterConfig config() {
        return config;
    }

    Path dir() {
        return dir;
    }

    /** The nodes in use: the initial ones, each removed one replaced by the spare that took its place. */
    synchronized List<Integer> ids() {
        return List.copyOf(active);
    }

    /** Node {@code id}, or the node that replaced it (and so on), as fault plans name nodes by their initial ids. */
    int current(int id) {
        Integer next;
        while ((next = replacedBy.get(id)) != null) id = next;
        return id;
    }

    /**
     * Puts a spare machine in the place of node {@code removed} (no longer a member; it must be down):
     * the spare starts with --join. Returns the spare's id, or -1 if none is left.
     */
    synchronized int replace(int removed) {
        if (spares.isEmpty() || !active.contains(removed)) return -1;
        int spare = spares.remove(0);
        active.set(active.indexOf(removed), spare);
        replacedBy.put(removed, spare);
        joining.add(spare);
        return spare;
    }

    ServerSpec server(int id) {
        return config.server(id);
    }

    /** The long-lived gRPC channel to node {@code id}'s LogPort. */
    ManagedChannel channel(int id) {
        return channels.get(id);
    }

    Path log(int id) {
        return dir.resolve("node-" + id + ".log");
    }

    /** Starts node {@code id} as its own JVM (logging to {@code node-<id>.log}) unless it runs already. */
    synchronized void start(int id) throws IOException {
        if (closed) throw new IllegalStateException("cluster closed");
        Process old = processes.get(id);
        if (old != null && old.isAlive()) return;
        if (old != null) crashes.add("node " + id + " (pid " + old.pid() + ") exited on its own with code " + old.exitValue());
        Files.writeString(log(id), "---- chaos: starting node " + id + "\n", StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        Process p = new ProcessBuilder(serverCommand(id))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(id).toFile()))
                .start();
        processes.put(id, p);
    }

    void startAll() throws IOException {
        for (int id : ids()) start(id);
    }

    /** kill -9 of node {@code id} by pid; waits (up to 10 s) until the process is gone. */
    void kill(int id) {
        Process p;
        synchronized (this) {
            p = processes.remove(id);
            paused.remove(id);
        }
        serving.remove(id);
        if (p == null) return;
        if (!p.isAlive()) crashes.add("node " + id + " (pid " + p.pid() + ") exited on its own with code " + p.exitValue());
        p.destroyForcibly(); // SIGKILL on Unix, even for a stopped process
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGSTOP: the process freezes, sockets stay open. False if it was not running. */
    synchronized boolean pause(int id) {
        Process p = processes.get(id);
        if (p == null || !signal(p.pid(), "STOP")) return false;
        paused.add(id);
        return true;
    }

    /** SIGCONT of a paused node. */
    synchronized void resume(int id) {
        Process p = processes.get(id);
        if (p != null && paused.remove(id)) signal(p.pid(), "CONT");
    }

    boolean running(int id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    boolean paused(int id) {
        return paused.contains(id);
    }

    /** Records that node {@code id} has answered since it last started. */
    void markServing(int id) {
        if (running(id)) serving.add(id);
    }

    /** Running and seen answering since its start (it may be paused now: clients cannot tell). */
    boolean serving(int id) {
        return serving.contains(id) && running(id);
    }

    /** Nodes whose process runs and is not paused. */
    List<Integer> up() {
        return ids().stream().filter(id -> running(id) && !paused(id)).toList();
    }

    /** Every node that exited without being killed by us (each one a bug), including any dead now. */
    List<String> crashes() {
        List<String> all = new ArrayList<>(crashes);
        processes.forEach((id, p) -> {
            if (!p.isAlive()) all.add("node " + id + " (pid " + p.pid() + ") exited on its own with code " + p.exitValue());
        });
        return all;
    }

    /** The last lines of node {@code id}'s log, for reports. */
    String tail(int id, int lines) {
        try {
            List<String> all = Files.readAllLines(log(id));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Resumes and kills every node, closes the channels. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        killEverything();
        channels.values().forEach(ManagedChannel::shutdownNow);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: nothing left to remove
        }
    }

    private void killEverything() {
        List<Process> all;
        synchronized (this) {
            all = new ArrayList<>(processes.values());
            processes.clear();
            paused.clear();
            serving.clear();
        }
        for (Process p : all) p.destroyForcibly();
        for (Process p : all) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** kill -SIG pid, through the kill command: Java has no SIGSTOP of its own. */
    private static boolean signal(long pid, String sig) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true).start();
            if (!kill.waitFor(5, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                return false;
            }
            return kill.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Deletes node {@code id}'s data folder (the node must be down): a removed machine's disk is gone.
     */
    synchronized void wipe(int id) throws IOException {
        Process p = processes.get(id);
        if (p != null && p.isAlive()) throw new IllegalStateException("node " + id + " is running");
        Path data = config.nodeDir(id);
        if (Files.exists(data)) {
            try (var paths = Files.walk(data)) {
                for (Path f : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
            }
        }
    }

    /** java ... raftkv.server.ServerMain --id ID --config FILE [--join], with this JVM's class path. */
    private List<String> serverCommand(int id) {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-XX:TieredStopAtLevel=1",
                "-cp", classpath, "raftkv.server.ServerMain", "--id", Integer.toString(id),
                "--config", (joining.contains(id) ? sparesConfigFile : configFile).toString()));
        if (joining.contains(id)) command.add("--join");
        return command;
    }

    private static int freePort(Set<Integer> taken) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
                if (taken.add(s.getLocalPort())) return s.getLocalPort();
            }
        }
        throw new IOException("no free port on " + HOST);
    }
}
