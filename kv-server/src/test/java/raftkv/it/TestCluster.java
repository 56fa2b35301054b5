package raftkv.it;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import raftkv.config.ClusterConfig;
import raftkv.config.ConfigLoader;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;
import raftkv.proto.testing.FaultInjectionGrpc;
import raftkv.proto.testing.TransferLeadershipRequest;
import raftkv.security.AdminChannels;
import raftkv.server.ClusterTool;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/**
 * A real cluster for tests: one {@code kv-server} JVM per node, on loopback addresses and free
 * ports, with its config and data under a temporary folder. Every process it starts is killed
 * by {@link #close()}.
 */
final class TestCluster implements AutoCloseable {
    private final Path dir;
    private final Path configFile;
    // Replaced once by useTls, before any node starts.
    private ClusterConfig config;
    private final Map<Integer, Process> processes = new LinkedHashMap<>();
    // For each node, the size of its log when it was last sent SIGTERM (see signalHandledAt).
    private final Map<Integer, Long> signalLogMarks = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Set<Integer> portsTaken = new java.util.HashSet<>();

    /**
     * @param hosts  one loopback address per node ("127.0.0.1", "127.0.0.2", ...)
     * @param extra  extra top-level config keys, as JSON fragments: "\"heartbeatMs\": 50"
     * @param samePorts give every node the same two ports (they differ by address only)
     */
    TestCluster(Path dir, List<String> hosts, boolean samePorts, String... extra) throws IOException {
        this.dir = dir;
        this.configFile = dir.resolve("config.json");
        StringBuilder json = new StringBuilder("{\n  \"path\": \"data\",\n");
        for (String e : extra) json.append("  ").append(e).append(",\n");
        json.append("  \"servers\": [\n");
        int sharedClient = samePorts ? freePort(hosts) : 0;
        int sharedLog = samePorts ? freePort(hosts) : 0;
        for (int i = 0; i < hosts.size(); i++) {
            int client = samePorts ? sharedClient : freePort(List.of(hosts.get(i)));
            int log = samePorts ? sharedLog : freePort(List.of(hosts.get(i)));
            json.append(String.format("    {\"Id\": %d, \"Hostname\": \"%s\", \"ClientPort\": %d, \"LogPort\": %d}%s%n",
                    i, hosts.get(i), client, log, i + 1 < hosts.size() ? "," : ""));
        }
        json.append("  ]\n}\n");
        Files.writeString(configFile, json);
        this.config = ConfigLoader.load(configFile);
    }

    static TestCluster onLocalhost(Path dir, int nodes, String... extra) throws IOException {
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < nodes; i++) hosts.add("127.0.0.1");
        return new TestCluster(dir, hosts, false, extra);
    }

    /**
     * Turns TLS on (SPEC section 8) before any node starts: certificates from {@code scripts/certs}
     * in {@code certs/} beside the config, which it rewrites with {@code --write-config}, then the
     * two flags set as given.
     */
    TestCluster useTls(boolean clientCertAuth, boolean text) throws IOException, InterruptedException {
        if (!processes.isEmpty()) throw new IllegalStateException("useTls before starting nodes");
        TestCerts.run(configFile, certs(), "--days", "2", "--write-config", configFile.toString());
        String json = Files.readString(configFile)
                .replace("\"clientCertAuth\" : false", "\"clientCertAuth\" : " + clientCertAuth)
                .replace("\"text\" : false", "\"text\" : " + text);
        Files.writeString(configFile, json);
        this.config = ConfigLoader.load(configFile);
        return this;
    }

    /** The folder of {@link #useTls}'s files: ca.crt, node-<Id>.crt/.key, client.crt/.key. */
    Path certs() {
        return dir.resolve("certs");
    }

    ClusterConfig config() {
        return config;
    }

    Path configFile() {
        return configFile;
    }

    ServerSpec server(int id) {
        return config.server(id);
    }

    Path log(int id) {
        return dir.resolve("node-" + id + ".log");
    }

    void startAll() throws IOException {
        for (ServerSpec s : config.servers()) start(s.id());
    }

    /** Starts node {@code id} as its own JVM, logging to {@code node-<id>.log}. */
    Process start(int id) throws IOException {
        return start(id, System.getProperty("raftkv.it.heap", "256m"));
    }

    /** As {@link #start(int)}, with a heap of {@code heap} ("64m"). */
    Process start(int id, String heap) throws IOException {
        return start(id, heap, Map.of());
    }

    /** As {@link #start(int, String)}, with {@code env} added to the process's environment (LD_PRELOAD, say). */
    Process start(int id, String heap, Map<String, String> env) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(serverCommandWithHeap(heap, "--id", Integer.toString(id), "--config",
                configFile.toString()));
        builder.environment().putAll(env);
        Process p = builder
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(id).toFile()))
                .start();
        processes.put(id, p);
        return p;
    }

    /** Starts node {@code id} with another config file and extra arguments ("--join"). */
    Process start(int id, Path config, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("--id", Integer.toString(id), "--config", config.toString()));
        args.addAll(List.of(extra));
        Process p = new ProcessBuilder(serverCommand(args.toArray(String[]::new)))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(id).toFile()))
                .start();
        processes.put(id, p);
        return p;
    }

    /**
     * The command line that runs the server main class with this JVM's test class path; the heap
     * is 256 MiB unless the system property {@code raftkv.it.heap} says otherwise (benchmarks).
     */
    static List<String> serverCommand(String... args) {
        return serverCommandWithHeap(System.getProperty("raftkv.it.heap", "256m"), args);
    }

    /** As the scripts run it: out of heap, the JVM exits (exit 3) rather than limp on. */
    static List<String> serverCommandWithHeap(String heap, String... args) {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError", "-XX:TieredStopAtLevel=1"));
        // Diagnostics only (JFR, GC logs): {@code -Draftkv.it.jvmArgs="-Xlog:gc:gc-%p.log ..."}.
        String extra = System.getProperty("raftkv.it.jvmArgs", "").trim();
        if (!extra.isEmpty()) cmd.addAll(List.of(extra.split("\\s+")));
        cmd.addAll(List.of("-cp", classpath, "raftkv.server.ServerMain"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** kill -9 of node {@code id}'s process. */
    void kill(int id) throws InterruptedException {
        Process p = processes.remove(id);
        if (p == null) return;
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then the exit code. */
    int stop(int id) throws InterruptedException {
        Process p = processes.remove(id);
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("node " + id + " did not stop within 30 s of SIGTERM");
        }
        return p.exitValue();
    }

    /**
     * SIGTERM to node {@code id}, as the original tester's plain {@code kill}, without waiting; the
     * process, to await its exit.
     */
    Process terminate(int id) {
        Process p = processes.remove(id);
        try {
            signalLogMarks.put(id, Files.exists(log(id)) ? Files.size(log(id)) : 0L);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        p.destroy();
        return p;
    }

    /** Waits up to 30 s for a process {@link #terminate}d to exit; its exit code. */
    static int exitCode(Process p) throws InterruptedException {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("a node did not stop within 30 s of SIGTERM");
        }
        return p.exitValue();
    }

    /**
     * Hands leadership to {@code id} and waits until every running node follows it. Needs
     * {@code "testFaultInjection": true} in the config.
     */
    void makeLeader(int id) {
        Await.until(Duration.ofSeconds(60), "node " + id + " leading", () -> {
            ServerSpec leader = awaitStableLeader(Duration.ofSeconds(30));
            if (leader.id() == id) return true;
            ManagedChannel channel = NettyChannelBuilder.forAddress(leader.hostname(), leader.logPort()).usePlaintext().build();
            try {
                FaultInjectionGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .transferLeadership(TransferLeadershipRequest.newBuilder().setTargetId(id).build());
            } catch (RuntimeException e) {
                // the leader changed under us: try again with the next one
            } finally {
                channel.shutdownNow();
            }
            return false;
        });
        Await.until(Duration.ofSeconds(30), "node " + id + " reporting itself leader",
                () -> status(server(id)).getRole() == Role.ROLE_LEADER);
    }

    /**
     * When node {@code id} handled the SIGTERM of its last {@link #terminate} (epoch ms), from the
     * "stop requested" line its log gets once the node is out of Raft or handing over; waits up to
     * 30 s for the line. Only lines written since that SIGTERM count: the log file is shared by the
     * node's successive processes, and a signal handled late must not be matched with the line of
     * an earlier stop.
     */
    long signalHandledAt(int id) {
        String[] line = new String[1];
        long mark = signalLogMarks.getOrDefault(id, 0L);
        Await.until(Duration.ofSeconds(30), "node " + id + " logging that it handled SIGTERM", () -> {
            try {
                byte[] all = Files.readAllBytes(log(id));
                List<String> lines = new String(all, (int) mark, all.length - (int) mark,
                        java.nio.charset.StandardCharsets.UTF_8).lines().toList();
                for (int i = lines.size() - 1; i >= 0; i--) {
                    if (lines.get(i).contains("stop requested (signal handled)")) {
                        line[0] = lines.get(i);
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        });
        LocalDateTime at = LocalDateTime.parse(line[0].substring(0, 23), DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS"));
        return at.atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
    }

    boolean running(int id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    /** Waits until a majority of nodes name the same leader; returns it. */
    ServerSpec awaitLeader(Duration timeout) {
        ServerSpec[] leader = new ServerSpec[1];
        Await.until(timeout, "a leader agreed by a majority", () -> (leader[0] = ClusterTool.agreedLeader(config)) != null);
        return leader[0];
    }

    /**
     * Waits until every running node knows the same leader in the same term, and that leader is
     * running and reports itself leader; returns it. Unlike {@link #awaitLeader}, this never
     * returns a leader that was just killed and that the survivors have not yet given up on.
     */
    ServerSpec awaitStableLeader(Duration timeout) {
        ServerSpec[] leader = new ServerSpec[1];
        Await.until(timeout, "every running node agreeing on one running leader",
                () -> (leader[0] = stableLeader()) != null);
        return leader[0];
    }

    private ServerSpec stableLeader() {
        Map<ServerSpec, StatusResponse> all = ClusterTool.statuses(config);
        StatusResponse first = null;
        for (Map.Entry<ServerSpec, StatusResponse> e : all.entrySet()) {
            if (!running(e.getKey().id())) continue;
            StatusResponse s = e.getValue();
            if (s == null || !s.getLeaderKnown()) return null;
            if (first == null) first = s;
            else if (s.getLeaderId() != first.getLeaderId() || s.getTerm() != first.getTerm()) return null;
        }
        if (first == null || !running((int) first.getLeaderId())) return null;
        ServerSpec leader = config.server((int) first.getLeaderId());
        StatusResponse own = all.get(leader);
        return own != null && own.getRole() == Role.ROLE_LEADER ? leader : null;
    }


    /** A text-protocol client of {@code server}'s ClientPort; {@code timeoutMs} bounds the connect and every read. */
    static TextClient textClient(ServerSpec server, int timeoutMs) throws java.io.IOException {
        return TextClient.connect(server.hostname(), server.clientPort(), timeoutMs);
    }

    /** One node's Status (kv.proto), asked with a 5 s deadline; throws if the node does not answer. */
    static StatusResponse status(ServerSpec server) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(server.hostname(), server.logPort()).usePlaintext().build();
        try {
            return KeyValueGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance());
        } finally {
            channel.shutdownNow();
        }
    }

    /** A node's applied index, or -1 while it does not answer (starting, or down). */
    static long appliedIndex(ServerSpec server) {
        try {
            return status(server).getAppliedIndex();
        } catch (RuntimeException notUpYet) {
            return -1;
        }
    }

    /**
     * Node {@code id}'s applied index, asked over TLS when the config has it (with a node's
     * certificate, see AdminChannels), or -1 while the node does not answer.
     */
    long appliedIndex(int id) {
        ServerSpec s = config.server(id);
        ManagedChannel channel = NettyChannelBuilder.forAddress(s.hostname(), s.logPort(),
                AdminChannels.credentials(config, Map.of())).build();
        try {
            return KeyValueGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance()).getAppliedIndex();
        } catch (RuntimeException notUpYet) {
            return -1;
        } finally {
            channel.shutdownNow();
        }
    }

    /** The bytes of every file under {@code folder}, counted while a node may be deleting some of them. */
    static long folderBytes(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0; // deleted while we walked: a segment or an old snapshot going away
                }
            }).sum();
        } catch (UncheckedIOException e) {
            return folderBytes(folder); // a folder entry vanished mid-walk: count again
        }
    }

    /** Deletes a folder and everything in it (a node's data folder, to test a wiped node). */
    static void deleteRecursively(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path p : files.sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList()) Files.delete(p);
        }
    }

    String logs() {
        StringBuilder sb = new StringBuilder();
        for (ServerSpec s : config.servers()) {
            try {
                List<String> lines = Files.readAllLines(log(s.id()));
                sb.append("--- node ").append(s.id()).append(" (last lines)\n");
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
            } catch (IOException e) {
                sb.append("--- node ").append(s.id()).append(": no log\n");
            }
        }
        return sb.toString();
    }

    /** Kills every process this cluster started (kill -9) and waits for each to exit. */
    @Override
    public void close() {
        for (Process p : processes.values()) p.destroyForcibly();
        try {
            for (Process p : processes.values()) p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        processes.clear();
    }

    /** A port free on every one of {@code hosts} right now. */
    private int freePort(List<String> hosts) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(hosts.get(0)))) {
                port = s.getLocalPort();
            }
            if (!portsTaken.contains(port) && freeOnAll(hosts, port)) {
                portsTaken.add(port);
                return port;
            }
        }
        throw new IOException("no free port on " + hosts);
    }

    private static boolean freeOnAll(List<String> hosts, int port) {
        for (String h : hosts) {
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(h))) {
                s.setReuseAddress(true);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
