package raftkv.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A node's HTTP endpoints on its optional HttpPort (SPEC 10), served by the JDK's HTTP server on
 * one daemon thread: {@code /metrics} in the Prometheus text format (written by the Prometheus
 * client, never by hand), {@code /livez} (200 while the process runs) and {@code /readyz} (200 when
 * {@link Readiness} says so, else 503 with the reason).
 */
public final class HttpEndpoints implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    private HttpEndpoints(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds {@code host:port} and serves; throws if the port cannot be bound. */
    public static HttpEndpoints start(String host, int port, NodeMetrics metrics, Supplier<NodeMetrics.RaftView> raft)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        server.createContext("/metrics", exchange -> {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            writer.write(body, metrics.registry().scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
            reply(exchange, 200, PrometheusTextFormatWriter.CONTENT_TYPE, body.toByteArray());
        });
        server.createContext("/livez", exchange -> reply(exchange, 200, "text/plain; charset=utf-8", bytes("ok\n")));
        server.createContext("/readyz", exchange -> {
            Optional<String> why = Readiness.notReadyBecause(raft.get());
            if (why.isEmpty()) reply(exchange, 200, "text/plain; charset=utf-8", bytes("ready\n"));
            else reply(exchange, 503, "text/plain; charset=utf-8", bytes("not ready: " + why.get() + "\n"));
        });
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "http-" + port);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        return new HttpEndpoints(server, executor);
    }

    /** The port bound (the configured one). */
    public int port() {
        return server.getAddress().getPort();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void reply(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
