package raftkv.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.kv.RequestId;
import raftkv.node.Clock;
import raftkv.node.CommandSink;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;
import raftkv.node.KvService;
import raftkv.node.NodeStep;
import raftkv.testing.Await;

/**
 * Batched forwarding (forward.proto) over grpc-java's in-process transport: a follower's
 * {@link BatchedForwarder} against a leader's {@link LeaderForwardService}, which runs each command
 * with a real {@link KvService} (mayForward false) over a scripted node.
 */
class BatchedForwarderTest {
    private static final List<ServerSpec> SERVERS = List.of(
            new ServerSpec(0, "127.0.0.1", 8000, 9000), new ServerSpec(1, "127.0.0.1", 8001, 9001),
            new ServerSpec(2, "127.0.0.1", 8002, 9002));
    private static final ServerSpec LEADER = SERVERS.get(1);
    private static final int MAX_MESSAGE_BYTES = 4 << 20;

    private final String name = InProcessServerBuilder.generateName();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    // What the leader's node does with each command it is handed.
    private volatile Function<KvRequest, CompletableFuture<NodeStep.Outcome>> node;
    private final AtomicInteger replyMessages = new AtomicInteger();
    private Server server;
    private ManagedChannel channel;
    private BatchedForwarder forwarder;

    @BeforeEach
    void start() throws Exception {
        server = startLeader(512);
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        forwarder = new BatchedForwarder(MAX_MESSAGE_BYTES, Clock.SYSTEM, channel);
    }

    @AfterEach
    void stop() throws Exception {
        forwarder.close();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        timer.shutdownNow();
    }

    private Server startLeader(int maxInFlight) throws Exception {
        ClusterConfig config = ClusterConfig.withDefaults(Path.of("unused"), SERVERS);
        CommandSink sink = new CommandSink() {
            @Override
            public long id() {
                return LEADER.id();
            }

            @Override
            public CompletableFuture<NodeStep.Outcome> submit(KvRequest request, long deadlineNanos) {
                return node.apply(request);
            }
        };
        KvService service = new KvService(sink, config, null,
                (task, delayMillis) -> timer.schedule(task, delayMillis, TimeUnit.MILLISECONDS), Clock.SYSTEM);
        ServerInterceptor countReplies = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                              ServerCallHandler<Q, R> next) {
                return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void sendMessage(R message) {
                        replyMessages.incrementAndGet();
                        super.sendMessage(message);
                    }
                }, headers);
            }
        };
        return InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(new LeaderForwardService(service, maxInFlight, MAX_MESSAGE_BYTES),
                        countReplies))
                .build().start();
    }

    private static ByteString bytes(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private static KvRequest.Set set(String key) {
        return new KvRequest.Set(bytes(key), bytes("v"), 0, RequestId.NONE);
    }

    private CompletableFuture<KvResult> forward(KvRequest request, long timeoutMillis) {
        return forwarder.forward(LEADER, request, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
    }

    private static KvResult await(CompletableFuture<KvResult> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void manyConcurrentForwardsGoInFewerMessagesThanCommands() throws Exception {
        // The leader answers nothing until every command has arrived, then everything at once.
        Map<ByteString, CompletableFuture<NodeStep.Outcome>> held = new ConcurrentHashMap<>();
        node = r -> held.computeIfAbsent(r.key(), k -> new CompletableFuture<>());
        int commands = 400;
        ConcurrentLinkedQueue<CompletableFuture<KvResult>> all = new ConcurrentLinkedQueue<>();
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int first = t * (commands / 8);
            Thread c = new Thread(() -> {
                for (int i = first; i < first + commands / 8; i++) all.add(forward(set("k" + i), 10_000));
            });
            clients.add(c);
            c.start();
        }
        for (Thread c : clients) c.join();
        Await.until(Duration.ofSeconds(10), "every command reaches the leader", () -> held.size() == commands);
        long batches = forwarder.batchesSent(LEADER.id());
        assertTrue(batches < commands, batches + " batches for " + commands + " commands");
        int version = 1;
        for (CompletableFuture<NodeStep.Outcome> f : held.values()) {
            f.complete(new NodeStep.Outcome.Done(new KvResult.Written(version++)));
        }
        for (CompletableFuture<KvResult> r : all) assertInstanceOf(KvResult.Written.class, await(r));
        assertTrue(replyMessages.get() < commands, replyMessages.get() + " reply messages for " + commands + " commands");
        assertEquals(commands, all.stream().map(f -> f.join()).distinct().count(), "each caller gets its own answer");
    }

    @Test
    void eachResultKindRoundTrips() throws Exception {
        ByteString value = bytes("value");
        List<KvResult> results = List.of(new KvResult.Written(42), new KvResult.Deleted(),
                new KvResult.Found(value, 7, 0), new KvResult.Found(value, 8, 30), new KvResult.NotFound(),
                new KvResult.VersionMismatch(), new KvResult.StaleRequest(), new KvResult.NoSpace(false),
                new KvResult.NoSpace(true), new KvResult.Invalid("key too long", false),
                new KvResult.Unavailable("not committed within the request timeout", LEADER.logAddress()),
                new KvResult.Internal("boom"));
        for (KvResult expected : results) {
            node = r -> CompletableFuture.completedFuture(new NodeStep.Outcome.Done(expected));
            // Writes without a request id are not retried by the leader, so Unavailable comes back as it is.
            KvRequest request = expected instanceof KvResult.Found f
                    ? (f.ttlSeconds() == 0 ? new KvRequest.Get(bytes("k")) : new KvRequest.GetMeta(bytes("k")))
                    : expected instanceof KvResult.Deleted ? new KvRequest.Delete(bytes("k"), RequestId.NONE)
                    : expected instanceof KvResult.VersionMismatch ? new KvRequest.Cas(bytes("k"), 3, value, 0, RequestId.NONE)
                    : set("k");
            KvResult got = await(forward(request, 5_000));
            KvResult want = expected instanceof KvResult.Internal i ? new KvResult.Internal("INTERNAL: " + i.reason()) : expected;
            assertEquals(want, got, "result " + expected);
        }
        // A zero request id is refused at the leader as KeyValue refuses it.
        node = r -> CompletableFuture.completedFuture(new NodeStep.Outcome.Done(new KvResult.Written(1)));
        assertInstanceOf(KvResult.Invalid.class, await(forward(new KvRequest.Set(bytes("k"), value, 0, new RequestId(0, 5)), 5_000)));
    }

    @Test
    void aLeaderThatStopsLeadingAnswersRedirect() throws Exception {
        // The node lost leadership to node 2: certainly not executed, and never forwarded further.
        node = r -> CompletableFuture.completedFuture(new NodeStep.Outcome.NotExecuted(2));
        assertEquals(new KvResult.Redirect(null, SERVERS.get(2).logAddress()), await(forward(set("k"), 5_000)));
        assertEquals(new KvResult.Redirect(null, SERVERS.get(2).logAddress()),
                await(forward(new KvRequest.Get(bytes("k")), 5_000)));
    }

    @Test
    void aCommandPastItsDeadlineIsUnavailable() throws Exception {
        node = r -> new CompletableFuture<>(); // never answered
        long start = System.nanoTime();
        KvResult r = await(forward(set("k"), 200));
        assertEquals(new KvResult.Unavailable("request timeout", LEADER.logAddress()), r);
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "not before its deadline");
        assertEquals(new KvResult.Unavailable("request timeout", LEADER.logAddress()),
                await(forwarder.forward(LEADER, set("k"), System.nanoTime() - 1)), "a deadline already past");
        // The stream is still good for the next command.
        node = c -> CompletableFuture.completedFuture(new NodeStep.Outcome.Done(new KvResult.Written(9)));
        assertEquals(new KvResult.Written(9), await(forward(set("k2"), 5_000)));
    }

    @Test
    void aBrokenStreamFailsCommandsInFlightAndTheNextCommandOpensANewOne() throws Exception {
        ConcurrentLinkedQueue<CompletableFuture<NodeStep.Outcome>> arrived = new ConcurrentLinkedQueue<>();
        node = r -> {
            CompletableFuture<NodeStep.Outcome> f = new CompletableFuture<>();
            arrived.add(f);
            return f;
        };
        List<CompletableFuture<KvResult>> inFlight = new ArrayList<>();
        for (int i = 0; i < 5; i++) inFlight.add(forward(set("k" + i), 10_000));
        Await.until(Duration.ofSeconds(10), "the commands reach the leader", () -> arrived.size() == 5);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS); // the leader dies
        for (CompletableFuture<KvResult> f : inFlight) {
            KvResult r = await(f);
            assertInstanceOf(KvResult.Unavailable.class, r, "outcome unknown, never internal: " + r);
        }
        Await.until(Duration.ofSeconds(10), "the broken stream is dropped", () -> forwarder.batchesSent(LEADER.id()) == -1);
        server = startLeader(512);
        node = r -> CompletableFuture.completedFuture(new NodeStep.Outcome.Done(new KvResult.Written(11)));
        assertEquals(new KvResult.Written(11), await(forward(set("again"), 5_000)));
        assertEquals(1, forwarder.batchesSent(LEADER.id()), "a new stream");
    }

    @Test
    void anUnreachableLeaderAnswersUnavailableAtOnceAndEachCommandTriesANewStream() throws Exception {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            KvResult r = await(forward(set("k"), 10_000));
            assertInstanceOf(KvResult.Unavailable.class, r, "outcome unknown, never internal: " + r);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "not held until its deadline");
        }
        server = startLeader(512);
        node = r -> CompletableFuture.completedFuture(new NodeStep.Outcome.Done(new KvResult.Written(5)));
        // The channel may still be backing off its reconnection: the service would retry, as this does.
        Await.until(Duration.ofSeconds(10), "a new stream reaches the restarted leader",
                () -> new KvResult.Written(5).equals(forward(set("k"), 5_000).join()));
    }
}
