package raftkv.gateway;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import raftkv.node.KvApi;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;

/**
 * An in-memory KvApi: a map with versions. Each request takes effect, and its future completes,
 * on another thread after a random delay, so futures complete out of order. Keys starting with
 * {@code hold} are parked while the gate is closed; {@code boom}, {@code fail} and {@code null}
 * break the KvApi contract (throw, fail the future, return null).
 */
final class FakeKvApi implements KvApi, AutoCloseable {
    private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(4);
    private final int maxDelayMicros;
    // Guarded by this.
    private final Map<ByteString, KvResult.Found> store = new HashMap<>();
    private final SplittableRandom random = new SplittableRandom(42);
    private final Set<Long> writingClients = new HashSet<>();
    private final List<Runnable> held = new ArrayList<>();
    private long nextVersion = 1;
    private boolean gateOpen;
    private long newestCompleted;

    final AtomicInteger heldCount = new AtomicInteger();
    final AtomicInteger completedOutOfOrder = new AtomicInteger();
    final AtomicInteger clientIdsSharedInFlight = new AtomicInteger();
    final AtomicInteger writesWithoutRequestId = new AtomicInteger();
    private final AtomicLong started = new AtomicLong();

    FakeKvApi(int maxDelayMicros) {
        this.maxDelayMicros = maxDelayMicros;
    }

    @Override
    public CompletableFuture<KvResult> execute(KvRequest request) {
        String key = request.key().toStringUtf8();
        switch (key) {
            case "boom" -> throw new IllegalStateException("KvApi bug");
            case "fail" -> {
                return CompletableFuture.failedFuture(new IllegalStateException("KvApi bug"));
            }
            case "null" -> {
                return null;
            }
            default -> { }
        }
        long sequence = started.incrementAndGet();
        CompletableFuture<KvResult> future = new CompletableFuture<>();
        Runnable run = () -> complete(sequence, request, future);
        long delay;
        synchronized (this) {
            if (request.isWrite()) {
                checkRequestId(request);
            }
            if (key.startsWith("hold") && !gateOpen) {
                held.add(run);
                heldCount.incrementAndGet();
                return future;
            }
            delay = maxDelayMicros == 0 ? 0 : random.nextInt(maxDelayMicros);
        }
        executor.schedule(run, delay, TimeUnit.MICROSECONDS);
        return future;
    }

    /** Releases the parked requests, and lets later ones through. */
    void openGate() {
        List<Runnable> release;
        synchronized (this) {
            gateOpen = true;
            release = new ArrayList<>(held);
            held.clear();
        }
        release.forEach(executor::execute);
    }

    synchronized void put(String key, ByteString value) {
        store.put(ByteString.copyFromUtf8(key), new KvResult.Found(value, nextVersion++, 0));
    }

    private void checkRequestId(KvRequest request) {
        raftkv.kv.RequestId id = requestId(request);
        if (id.isNone() || id.clientId() == 0 || id.sequence() == 0) {
            writesWithoutRequestId.incrementAndGet();
        } else if (!writingClients.add(id.clientId())) {
            clientIdsSharedInFlight.incrementAndGet();
        }
    }

    private void complete(long sequence, KvRequest request, CompletableFuture<KvResult> future) {
        KvResult result;
        synchronized (this) {
            result = apply(request);
            if (request.isWrite()) {
                writingClients.remove(requestId(request).clientId());
            }
            if (sequence < newestCompleted) {
                completedOutOfOrder.incrementAndGet();
            }
            newestCompleted = Math.max(newestCompleted, sequence);
        }
        future.complete(result);
    }

    private KvResult apply(KvRequest request) {
        KvResult.Found current = store.get(request.key());
        if (request instanceof KvRequest.Set set) {
            return write(set.key(), set.value(), set.ttlSeconds());
        } else if (request instanceof KvRequest.Cas cas) {
            if (current == null) {
                return new KvResult.NotFound();
            }
            return current.version() == cas.expectedVersion()
                    ? write(cas.key(), cas.value(), cas.ttlSeconds()) : new KvResult.VersionMismatch();
        } else if (request instanceof KvRequest.Delete) {
            return store.remove(request.key()) == null ? new KvResult.NotFound() : new KvResult.Deleted();
        }
        return current == null ? new KvResult.NotFound() : current; // Get and GetMeta
    }

    private KvResult write(ByteString key, ByteString value, long ttl) {
        long version = nextVersion++;
        store.put(key, new KvResult.Found(value, version, ttl));
        return new KvResult.Written(version);
    }

    private static raftkv.kv.RequestId requestId(KvRequest request) {
        if (request instanceof KvRequest.Set s) {
            return s.requestId();
        } else if (request instanceof KvRequest.Cas c) {
            return c.requestId();
        }
        return ((KvRequest.Delete) request).requestId();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
