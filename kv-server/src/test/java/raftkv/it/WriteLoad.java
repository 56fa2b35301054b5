package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import raftkv.config.ServerSpec;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/**
 * A closed-loop write load on real nodes, as well-behaved clients would make it: text clients
 * (their writes carry request ids the gateway gives them), spread over the given nodes, each
 * writing its own keys one at a time; and, if asked, one gRPC client per node without request ids.
 * A text client whose connection closes or is refused (its node stopped or restarts) moves on to
 * the next node and sends the unanswered write again (a set of the same key and value, harmless
 * if the first one took effect). Collects every reply that is not a success, and the value of
 * every acknowledged write.
 */
final class WriteLoad implements AutoCloseable {
    private final List<ServerSpec> servers;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Future<?>> clients = new ArrayList<>();
    private final AtomicBoolean done = new AtomicBoolean();
    private final AtomicLong acks = new AtomicLong();
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();

    /** Two text clients per node (and one gRPC client per node with {@code grpc}). */
    WriteLoad(List<ServerSpec> servers, boolean grpc) {
        this(servers, 2 * servers.size(), grpc);
    }

    /** {@code textClients} text clients, started on the nodes in turn. */
    WriteLoad(List<ServerSpec> servers, int textClients, boolean grpc) {
        this.servers = List.copyOf(servers);
        for (int c = 0; c < textClients; c++) {
            int first = c % servers.size();
            String prefix = "text" + c + "-";
            clients.add(pool.submit(() -> textClient(first, prefix)));
        }
        if (grpc) {
            for (ServerSpec s : servers) {
                String prefix = "grpc" + s.id() + "-";
                clients.add(pool.submit(() -> grpcClient(s, prefix)));
            }
        }
    }

    private Void textClient(int first, String prefix) throws InterruptedException {
        int at = first;
        int i = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (!done.get() && System.nanoTime() < deadline) {
            ServerSpec server = servers.get(at);
            try (TextClient t = TestCluster.textClient(server, 30_000)) {
                for (; !done.get(); i++) {
                    String key = prefix + i;
                    String reply = t.set(key, "v" + i);
                    if (reply.startsWith("OK ")) record(key, "v" + i);
                    else errors.add(server.id() + " " + key + ": " + reply);
                }
            } catch (SocketTimeoutException e) {
                errors.add(server.id() + " " + prefix + i + ": no reply in 30 s");
                return null;
            } catch (IOException e) {
                // Closed after its last reply, or refused: the node stops or restarts. Move on.
                at = (at + 1) % servers.size();
                TimeUnit.MILLISECONDS.sleep(20); // pacing of reconnects, not synchronisation
            }
        }
        return null;
    }

    private Void grpcClient(ServerSpec server, String prefix) throws InterruptedException {
        try (GrpcClient c = new GrpcClient(server, 30_000)) {
            for (int i = 0; !done.get(); i++) {
                String key = prefix + i;
                try {
                    c.set(key, "v" + i);
                    record(key, "v" + i);
                } catch (StatusRuntimeException e) {
                    Status.Code code = e.getStatus().getCode();
                    errors.add(server.id() + " " + key + ": " + code + " " + e.getStatus().getDescription());
                    if (code == Status.Code.UNAVAILABLE && TestCluster.appliedIndex(server) < 0) return null;
                }
            }
        }
        return null;
    }

    private void record(String key, String value) {
        acknowledged.put(key, value);
        acks.incrementAndGet();
    }

    long acks() {
        return acks.get();
    }

    /** Waits until {@code n} writes in all have been acknowledged. */
    void awaitAcks(long n) {
        Await.until(Duration.ofSeconds(60), n + " acknowledged writes", () -> acks.get() >= n);
    }

    /** Stops the clients after their current write and waits for them. */
    void finish() throws Exception {
        done.set(true);
        for (Future<?> f : clients) f.get(90, TimeUnit.SECONDS);
    }

    List<String> errors() {
        return List.copyOf(errors);
    }

    /** Every acknowledged write reads back through {@code server}, over eight connections at once. */
    void verify(ServerSpec server) throws Exception {
        List<Map.Entry<String, String>> writes = new ArrayList<>(acknowledged.entrySet());
        int readers = 8;
        ExecutorService checkers = Executors.newFixedThreadPool(readers);
        try {
            List<Future<Void>> parts = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                int part = r;
                parts.add(checkers.submit(() -> {
                    try (TextClient t = TestCluster.textClient(server, 20_000)) {
                        for (int i = part; i < writes.size(); i += readers) {
                            Map.Entry<String, String> e = writes.get(i);
                            assertEquals(e.getValue(), t.get(e.getKey()), "acknowledged write of " + e.getKey());
                        }
                    }
                    return null;
                }));
            }
            for (Future<Void> f : parts) {
                try {
                    f.get(10, TimeUnit.MINUTES);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof AssertionError a) throw a;
                    throw e;
                }
            }
        } finally {
            checkers.shutdownNow();
        }
    }

    @Override
    public void close() {
        done.set(true);
        pool.shutdownNow();
    }
}
