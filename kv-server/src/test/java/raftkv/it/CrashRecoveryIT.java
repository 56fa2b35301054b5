package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/** kill -9 of every node in the middle of a write load loses no acknowledged write. */
class CrashRecoveryIT {
    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void cleanUp() throws Exception {
        if (cluster != null) cluster.close();
    }

    @Test
    void killingAllNodesMidLoadLosesNoAcknowledgedWrite() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 5);
        cluster.startAll();
        cluster.awaitLeader(Duration.ofSeconds(60));

        Map<String, Long> acked = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger writes = new AtomicInteger();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            Thread t = new Thread(() -> {
                try (TextClient c = TestCluster.textClient(cluster.server(writer % 5), 20_000)) {
                    for (int i = 0; !stop.get() && i < 100_000; i++) {
                        String key = "w" + writer + "_" + i;
                        String reply = c.set(key, "v" + i);
                        if (reply.startsWith("OK ")) acked.put(key, Long.parseLong(reply.substring(3)));
                        writes.incrementAndGet();
                    }
                } catch (Exception connectionLostInTheCrash) {
                    // expected once the nodes die: the write in flight has an unknown outcome
                }
            });
            t.start();
            writers.add(t);
        }
        Await.until(Duration.ofSeconds(60), "200 acknowledged writes", () -> acked.size() >= 200);
        for (int id = 0; id < 5; id++) cluster.kill(id);
        stop.set(true);
        for (Thread t : writers) t.join(30_000);
        long maxAcked = acked.values().stream().mapToLong(Long::longValue).max().orElseThrow();

        cluster.startAll();
        cluster.awaitLeader(Duration.ofSeconds(60));
        try (TextClient c = TestCluster.textClient(cluster.server(0), 20_000)) {
            for (Map.Entry<String, Long> e : acked.entrySet()) {
                String meta = c.call("getm " + e.getKey() + "\r\n");
                String value = "v" + e.getKey().substring(e.getKey().indexOf('_') + 1);
                assertEquals("VALUE " + e.getValue() + " 0 " + value.length(), meta, "acknowledged write " + e.getKey() + " lost");
                assertEquals(value, new String(c.valueBytes(value.length()), java.nio.charset.StandardCharsets.ISO_8859_1));
            }
            String after = c.set("after-restart", "x");
            assertTrue(after.startsWith("OK "), after);
            assertTrue(Long.parseLong(after.substring(3)) > maxAcked, "versions must keep increasing: " + after + " after " + maxAcked);
        }
    }
}
