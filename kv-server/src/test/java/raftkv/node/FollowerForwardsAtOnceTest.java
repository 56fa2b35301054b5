package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.kv.RequestId;
import raftkv.raft.RaftCore;

/**
 * A follower that knows its leader forwards a write without handing it to its node first (the node
 * would only answer "not executed, node 1 leads"); reads still go to the node, which serves them
 * itself (follower reads), and with {@code "forward": false} everything does (ERR_REDIRECT).
 * Init: node 0 follows node 1 of {0, 1, 2}.
 */
class FollowerForwardsAtOnceTest {
    private static final List<ServerSpec> SERVERS = List.of(new ServerSpec(0, "127.0.0.1", 8000, 9000),
            new ServerSpec(1, "127.0.0.1", 8001, 9001), new ServerSpec(2, "127.0.0.1", 8002, 9002));
    private static final ByteString KEY = ByteString.copyFromUtf8("k");
    private static final KvRequest SET = new KvRequest.Set(KEY, ByteString.copyFromUtf8("v"), 0, RequestId.NONE);

    private final List<KvRequest> submitted = new ArrayList<>();
    private final List<Long> forwardedTo = new ArrayList<>();
    private long knownLeader = 1;
    // What the node answers a command handed to it: not executed, and the leader it knows.
    private long nodeNamesLeader = 1;
    // Who executes what is forwarded; anyone else answers Redirect to it.
    private long actualLeader = 1;

    private KvService follower(boolean forward) {
        ClusterConfig d = ClusterConfig.withDefaults(Path.of("unused"), SERVERS);
        ClusterConfig config = new ClusterConfig(d.dataDir(), SERVERS, d.heartbeatMs(), d.electionTimeoutMs(),
                d.requestTimeoutMs(), d.maxValueBytes(), false, d.snapshotEntries(), d.walSegmentBytes(), forward,
                false, null, d.limits(), List.of(), null);
        CommandSink sink = new CommandSink() {
            @Override
            public long id() {
                return 0;
            }

            @Override
            public long knownLeader() {
                return knownLeader;
            }

            @Override
            public CompletableFuture<NodeStep.Outcome> submit(KvRequest request, long deadlineNanos) {
                submitted.add(request);
                return CompletableFuture.completedFuture(new NodeStep.Outcome.NotExecuted(nodeNamesLeader));
            }
        };
        Forwarder forwarder = new Forwarder() {
            @Override
            public CompletableFuture<KvResult> forward(ServerSpec to, KvRequest request, long deadlineNanos) {
                forwardedTo.add((long) to.id());
                ServerSpec leader = SERVERS.get((int) actualLeader);
                return CompletableFuture.completedFuture(to.id() == actualLeader ? new KvResult.Written(5)
                        : new KvResult.Redirect(leader.clientAddress(), leader.logAddress()));
            }

            @Override
            public void close() {
            }
        };
        Timer now = (task, delayMillis) -> task.run();
        return new KvService(sink, config, forwarder, now, new TestClock(0));
    }

    private static KvResult run(KvService service, KvRequest request) throws Exception {
        return service.execute(request).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aWriteGoesStraightToTheKnownLeader() throws Exception {
        KvService service = follower(true);
        assertEquals(new KvResult.Written(5), run(service, SET));
        assertEquals(new KvResult.Written(5), run(service, new KvRequest.Delete(KEY, RequestId.NONE)));
        assertEquals(List.of(), submitted, "no write was handed to the node");
        assertEquals(List.of(1L, 1L), forwardedTo);
    }

    @Test
    void readsStillGoThroughTheNode() throws Exception {
        KvService service = follower(true);
        run(service, new KvRequest.Get(KEY));
        assertEquals(1, submitted.size(), "a read is served by the node (or forwarded on its answer)");
    }

    @Test
    void aStaleLeaderSendsTheWriteBackThroughTheNode() throws Exception {
        // Node 2 took over; this node's view still names node 1, which answers Redirect: the write is
        // then handed to the node, which names node 2, and node 2 executes it.
        actualLeader = 2;
        nodeNamesLeader = 2;
        KvService service = follower(true);
        assertEquals(new KvResult.Written(5), run(service, SET));
        assertEquals(List.of(1L, 2L), forwardedTo);
        assertEquals(List.of(SET), submitted);
    }

    @Test
    void noShortcutWithoutALeaderOrWithoutForwarding() throws Exception {
        knownLeader = RaftCore.NONE;
        assertEquals(new KvResult.Written(5), run(follower(true), SET));
        assertEquals(List.of(SET), submitted, "no leader known: the node decides");
        knownLeader = 1;
        submitted.clear();
        KvResult r = run(follower(false), SET);
        assertEquals(new KvResult.Redirect("127.0.0.1:8001", "127.0.0.1:9001"), r);
        assertEquals(List.of(SET), submitted, "\"forward\": false: the node answers, and the client is redirected");
    }
}
