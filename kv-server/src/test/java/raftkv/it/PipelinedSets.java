package raftkv.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import raftkv.config.ServerSpec;
import raftkv.testing.TextClient;

/**
 * A fast loader for tests: sets over the text protocol on a few connections, each pipelining a
 * window of commands before reading their replies (the node answers a connection's commands in
 * order), so group commit batches many writes per fsync.
 */
final class PipelinedSets {
    private static final int WINDOW = 256;

    private PipelinedSets() {}

    /**
     * Sets key(i) to value(i) for i in 0..n-1, connection c taking the i with i % connections == c.
     * Every reply must be {@code OK <version>}; returns the versions by i. Fails after 10 minutes.
     */
    static long[] run(ServerSpec server, int n, int connections, IntFunction<String> key, IntFunction<String> value)
            throws Exception {
        long[] versions = new long[n];
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                int first = c;
                done.add(pool.submit(() -> {
                    load(server, first, connections, n, key, value, versions);
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(10, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw new AssertionError("loading through node " + server.id() + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("loading " + n + " keys through node " + server.id() + " took over 10 minutes");
        } finally {
            pool.shutdownNow();
        }
        return versions;
    }

    private static void load(ServerSpec server, int first, int step, int n, IntFunction<String> key,
                             IntFunction<String> value, long[] versions) throws IOException {
        try (TextClient client = TestCluster.textClient(server, 60_000)) {
            List<Integer> window = new ArrayList<>(WINDOW);
            StringBuilder batch = new StringBuilder();
            for (int i = first; i < n; i += step) {
                String v = value.apply(i);
                batch.append("set ").append(key.apply(i)).append(" 0 ")
                        .append(v.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\n").append(v).append("\r\n");
                window.add(i);
                if (window.size() < WINDOW && i + step < n) continue;
                client.send(batch.toString());
                batch.setLength(0);
                for (int k : window) {
                    String reply = client.line();
                    if (!reply.startsWith("OK ")) throw new IOException("set " + key.apply(k) + " answered " + reply);
                    versions[k] = Long.parseLong(reply.substring(3));
                }
                window.clear();
            }
        }
    }
}
