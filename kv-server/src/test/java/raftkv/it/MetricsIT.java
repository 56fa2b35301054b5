package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;
import raftkv.server.BuildInfo;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/**
 * SPEC 10 on real nodes: HttpPort's /metrics (Prometheus text format, checked by a parser here
 * and by promtool when it is installed), /livez and /readyz, which turns 503 on a node whose
 * peers are gone; grpc.health.v1 and reflection on LogPort; the Grafana dashboard under deploy/
 * queries only metrics that exist.
 */
class MetricsIT {
    // name{labels} value [timestamp], as the text format 0.0.4 allows
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\",?)*\\})? "
                    + "(-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)( -?[0-9]+)?");
    private static final Pattern COMMENT = Pattern.compile("# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) .*");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void metricsHealthAndReadinessOnRealNodes() throws Exception {
        // Small snapshot intervals, so that snapshots are written within the test.
        try (TestCluster c = TestCluster.onLocalhost(dir, 3, "\"snapshotEntries\": 4")) {
            Map<Integer, Integer> httpPorts = addHttpPorts(c);
            c.startAll();
            ServerSpec leader = c.awaitLeader(Duration.ofSeconds(60));
            try (TextClient t = TestCluster.textClient(leader, 10_000)) {
                for (int i = 0; i < 5; i++) assertTrue(t.set("k" + i, "v" + i).startsWith("OK "));
                for (int i = 0; i < 3; i++) assertEquals("v" + i, t.get("k" + i));
            }
            for (int port : httpPorts.values()) {
                Await.until(Duration.ofSeconds(30), "/readyz 200 on port " + port, () -> status(port, "/readyz") == 200);
                assertEquals(200, status(port, "/livez"));
            }

            HttpResponse<String> scrape = get(httpPorts.get(leader.id()), "/metrics");
            assertEquals(200, scrape.statusCode());
            assertTrue(scrape.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    scrape.headers().toString());
            String body = scrape.body();
            Set<String> names = parseTextFormat(body);
            for (String required : List.of("raftkv_raft_term", "raftkv_raft_commit_index", "raftkv_raft_applied_index",
                    "raftkv_raft_role", "raftkv_raft_leader_changes_total", "raftkv_wal_fsync_seconds_bucket",
                    "raftkv_wal_bytes", "raftkv_snapshot_files", "raftkv_peer_outstanding_calls", "raftkv_peer_reachable",
                    "raftkv_client_requests_total", "raftkv_client_request_seconds_bucket", "raftkv_client_connections",
                    "raftkv_raft_proposals_total", "raftkv_raft_read_index_total", "raftkv_snapshot_write_seconds_bucket",
                    "raftkv_peer_bytes_sent_total", "jvm_memory_used_bytes", "jvm_threads_current")) {
                assertTrue(names.contains(required), required + " missing from /metrics");
            }
            assertTrue(body.contains("raftkv_raft_role{role=\"leader\"} 1.0"), "the leader says so");
            assertEquals(5.0, value(body, "raftkv_client_requests_total{op=\"set\",outcome=\"WRITTEN\",protocol=\"text\"}"), body);
            assertTrue(value(body, "raftkv_wal_fsync_seconds_count") > 0, "writes were fsynced");
            assertTrue(value(body, "raftkv_raft_proposals_total") >= 5, "the leader proposed the writes");
            assertTrue(value(body, "raftkv_raft_read_index_total") >= 3, "the reads went through ReadIndex");
            assertTrue(value(body, "raftkv_peer_bytes_sent_total") > 0, "the leader sent its peers entries");
            Await.until(Duration.ofSeconds(30), "a snapshot written and counted", () -> {
                try {
                    return value(get(httpPorts.get(leader.id()), "/metrics").body(), "raftkv_snapshot_write_seconds_count") >= 1;
                } catch (Exception e) {
                    return false;
                }
            });
            promtoolAccepts(body);
            dashboardQueriesOnly(names);

            try (var channel = channel(leader)) {
                HealthCheckResponse health = HealthGrpc.newBlockingStub(channel.get()).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.newBuilder().setService(KeyValueGrpc.SERVICE_NAME).build());
                assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
                assertTrue(reflectedServices(channel.get()).contains("raftkv.kv.v1.KeyValue"));
                StatusResponse status = KeyValueGrpc.newBlockingStub(channel.get()).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .status(StatusRequest.getDefaultInstance());
                assertEquals(BuildInfo.version() + " (commit " + BuildInfo.commit() + ")", status.getVersion());
                assertTrue(status.getDataBytes() > 0, status.toString());
            }

            ServerSpec survivor = c.server(0);
            c.kill(1);
            c.kill(2);
            Await.until(Duration.ofSeconds(60), "/readyz 503 on the node left alone",
                    () -> status(httpPorts.get(survivor.id()), "/readyz") == 503);
            assertTrue(get(httpPorts.get(survivor.id()), "/readyz").body().startsWith("not ready: "));
            assertEquals(200, status(httpPorts.get(survivor.id()), "/livez"));
        }
    }

    /** Gives every server of the cluster's config a free HttpPort (the config file is read at start). */
    private static Map<Integer, Integer> addHttpPorts(TestCluster c) throws IOException {
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        String json = Files.readString(c.configFile());
        for (ServerSpec s : c.config().servers()) {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                port = socket.getLocalPort();
            }
            ports.put(s.id(), port);
            json = json.replace("\"LogPort\": " + s.logPort() + "}", "\"LogPort\": " + s.logPort() + ", \"HttpPort\": " + port + "}");
        }
        Files.writeString(c.configFile(), json);
        return ports;
    }

    /** Checks every line of the text format; returns the sample names. Fails on anything else. */
    static Set<String> parseTextFormat(String body) {
        Set<String> names = new TreeSet<>();
        Set<String> typed = new TreeSet<>();
        for (String line : body.split("\n")) {
            if (line.isEmpty()) continue;
            if (line.startsWith("#")) {
                Matcher m = COMMENT.matcher(line);
                assertTrue(m.matches(), "bad comment line: " + line);
                if (m.group(1).equals("TYPE")) assertTrue(typed.add(m.group(2)), "TYPE twice: " + line);
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "bad sample line: " + line);
            String name = m.group(1);
            assertTrue(typed.stream().anyMatch(name::startsWith), "sample before its TYPE: " + line);
            names.add(name);
        }
        return names;
    }

    private static double value(String body, String name) {
        return body.lines().filter(l -> l.startsWith(name + " ") || (!name.contains("{") && l.startsWith(name + "{")))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** promtool check metrics, where Debian's prometheus package is installed; the parser above runs regardless. */
    private static void promtoolAccepts(String body) throws IOException, InterruptedException {
        if (!onPath("promtool")) return;
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool hung");
        assertEquals(0, p.exitValue(), "promtool check metrics: " + out);
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) return true;
        }
        return false;
    }

    /** Every metric the Grafana dashboard queries is one this node exports. */
    private static void dashboardQueriesOnly(Set<String> exported) throws IOException {
        String dashboard = Files.readString(Path.of(System.getProperty("user.dir")).resolve("../deploy/grafana-dashboard.json"));
        Matcher m = Pattern.compile("\\b(raftkv_[a-z_]+|jvm_[a-z_]+)").matcher(dashboard);
        List<String> queried = new ArrayList<>();
        while (m.find()) queried.add(m.group(1));
        assertTrue(queried.size() > 10, "the dashboard queries metrics: " + queried);
        for (String name : queried) assertTrue(exported.contains(name), "the dashboard queries " + name + ", which /metrics lacks");
    }

    private int status(int port, String path) {
        try {
            return get(port, path).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private record Closing(ManagedChannel get) implements AutoCloseable {
        @Override
        public void close() {
            get.shutdownNow();
        }
    }

    private static Closing channel(ServerSpec s) {
        return new Closing(NettyChannelBuilder.forAddress(s.hostname(), s.logPort()).usePlaintext().build());
    }

    private static List<String> reflectedServices(ManagedChannel channel) throws Exception {
        CompletableFuture<List<String>> result = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse r) {
                        result.complete(r.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        result.complete(List.of());
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
        List<String> services = result.get(10, TimeUnit.SECONDS);
        requests.onCompleted();
        return services;
    }
}
