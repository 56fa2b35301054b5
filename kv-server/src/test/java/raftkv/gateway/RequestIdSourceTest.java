package raftkv.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import raftkv.kv.RequestId;

/** kv.proto's RequestId contract: non-zero ids, growing sequences, one write in flight per client id. */
class RequestIdSourceTest {

    @Test
    void firstWriteOfAClientIsSequenceOneThenOneMore() {
        long[] draws = {0, 0, 77};
        int[] next = {0};
        RequestIdSource source = new RequestIdSource(() -> draws[Math.min(next[0]++, 2)]);

        RequestIdSource.Lease first = source.acquire();
        assertEquals(new RequestId(77, 1), first.requestId()); // zero draws are skipped
        first.release();
        first.release(); // idempotent
        RequestIdSource.Lease second = source.acquire();
        assertEquals(new RequestId(77, 2), second.requestId());
        assertEquals(1, source.clientIds());
    }

    @Test
    void concurrentLeasesNeverShareAClientId() {
        SplittableRandom random = new SplittableRandom(1);
        RequestIdSource source = new RequestIdSource(random::nextLong);
        Set<Long> inFlight = new HashSet<>();
        List<RequestIdSource.Lease> leases = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            RequestIdSource.Lease lease = source.acquire();
            assertTrue(inFlight.add(lease.requestId().clientId()));
            assertNotEquals(0, lease.requestId().clientId());
            leases.add(lease);
        }
        leases.forEach(RequestIdSource.Lease::release);
        assertEquals(10, source.clientIds());
    }

    @Test
    void sequencesGrowPerClientIdAcrossThreads() throws Exception {
        RequestIdSource source = new RequestIdSource();
        Map<Long, Long> busy = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<RequestId>>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    List<RequestId> ids = new ArrayList<>();
                    for (int i = 0; i < 5_000; i++) {
                        RequestIdSource.Lease lease = source.acquire();
                        RequestId id = lease.requestId();
                        if (busy.putIfAbsent(id.clientId(), id.sequence()) != null) {
                            throw new AssertionError("two writes in flight on client id " + id.clientId());
                        }
                        ids.add(id);
                        busy.remove(id.clientId());
                        lease.release();
                    }
                    return ids;
                }));
            }
            Map<Long, Set<Long>> sequences = new HashMap<>();
            for (Future<List<RequestId>> result : results) {
                for (RequestId id : result.get(30, TimeUnit.SECONDS)) {
                    assertTrue(sequences.computeIfAbsent(id.clientId(), k -> new HashSet<>()).add(id.sequence()),
                            "sequence reused: " + id);
                }
            }
            assertTrue(source.clientIds() <= 8, "pool grew past the peak concurrency: " + source.clientIds());
        } finally {
            pool.shutdownNow();
        }
    }
}
