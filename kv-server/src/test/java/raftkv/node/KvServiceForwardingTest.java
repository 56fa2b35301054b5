package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ClusterConfig;
import raftkv.config.ConfigLoader;
import raftkv.config.ServerSpec;
import raftkv.kv.RequestId;
import raftkv.raft.RaftCore;

/** A follower that knows its leader forwards at once; otherwise commands go through its own loop first. */
class KvServiceForwardingTest {
    @TempDir
    Path dir;

    private final List<KvRequest> submitted = new ArrayList<>();
    private final List<Long> forwardedTo = new ArrayList<>();

    private KvService service(long self, long knownLeader, boolean forward) {
        String servers = "[{\"Id\": 0, \"Hostname\": \"localhost\", \"ClientPort\": 8000, \"LogPort\": 9000},"
                + "{\"Id\": 1, \"Hostname\": \"localhost\", \"ClientPort\": 8001, \"LogPort\": 9001},"
                + "{\"Id\": 2, \"Hostname\": \"localhost\", \"ClientPort\": 8002, \"LogPort\": 9002}]";
        ClusterConfig config = ConfigLoader.parse("{\"forward\": " + forward + ", \"servers\": " + servers + "}", dir);
        CommandSink node = new CommandSink() {
            @Override
            public long id() {
                return self;
            }

            @Override
            public CompletableFuture<NodeStep.Outcome> submit(KvRequest request, long deadlineNanos) {
                submitted.add(request);
                return CompletableFuture.completedFuture(new NodeStep.Outcome.NotExecuted(knownLeader));
            }

            @Override
            public long knownLeader() {
                return knownLeader;
            }
        };
        Forwarder forwarder = new Forwarder() {
            @Override
            public CompletableFuture<KvResult> forward(ServerSpec leader, KvRequest request, long deadlineNanos) {
                forwardedTo.add((long) leader.id());
                return CompletableFuture.completedFuture(new KvResult.Written(7));
            }

            @Override
            public void close() {}
        };
        return new KvService(node, config, forwarder, (task, ms) -> { }, Clock.SYSTEM); // no retries here
    }

    private static KvRequest set() {
        return new KvRequest.Set(ByteString.copyFromUtf8("k"), ByteString.copyFromUtf8("v"), 0, new RequestId(1, 1));
    }

    @Test
    void aFollowerThatKnowsItsLeaderForwardsWithoutAskingItsOwnLoop() {
        KvResult r = service(1, 0, true).execute(set()).join();

        assertEquals(new KvResult.Written(7), r);
        assertEquals(List.of(), submitted);
        assertEquals(List.of(0L), forwardedTo);
    }

    @Test
    void theLeaderAndACommandForwardedHereGoThroughTheLoop() {
        service(0, 0, true).execute(set());
        service(1, 0, true).execute(set(), false);

        assertEquals(2, submitted.size());
        assertEquals(List.of(), forwardedTo);
    }

    @Test
    void withoutForwardingAFollowerRedirectsAsBefore() {
        KvResult r = service(1, 0, false).execute(set()).join();

        assertInstanceOf(KvResult.Redirect.class, r);
        assertEquals(1, submitted.size());
        assertEquals(List.of(), forwardedTo);
    }

    @Test
    void noLeaderKnownGoesThroughTheLoop() {
        service(1, RaftCore.NONE, true).execute(set());

        assertEquals(1, submitted.size());
        assertEquals(List.of(), forwardedTo);
    }
}
