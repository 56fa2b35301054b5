package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.it.GrpcClient.bytes;
import static raftkv.it.GrpcClient.expect;
import static raftkv.it.GrpcClient.id;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.CasRequest;
import raftkv.proto.kv.StatusResponse;
import raftkv.testing.TextClient;

/**
 * A three-node cluster configured with {@code "forward": false} and a small {@code maxValueBytes}:
 * followers answer UNAVAILABLE naming the leader (gRPC) or {@code ERR_REDIRECT host:clientport}
 * (text) and write nothing; a value of exactly maxValueBytes passes both ways, one byte more is
 * INVALID_ARGUMENT / ERR_TOO_LARGE.
 */
class GrpcNoForwardIT {
    private static final int MAX_VALUE = 1000;

    @TempDir
    static Path dir;
    static TestCluster cluster;
    static ServerSpec leader;
    static List<ServerSpec> followers;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3, "\"forward\": false", "\"maxValueBytes\": " + MAX_VALUE);
        cluster.startAll();
        leader = cluster.awaitStableLeader(Duration.ofSeconds(60));
        followers = cluster.config().servers().stream().filter(s -> s.id() != leader.id()).toList();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) cluster.close();
    }

    private static void redirected(Executable call) {
        StatusRuntimeException e = expect(Code.UNAVAILABLE, call);
        assertEquals(leader.logAddress(), GrpcClient.leaderHint(e), "the leader's gRPC address in the trailers");
    }

    @Test
    void followersAnswerUnavailableWithTheLeaderAndWriteNothing() throws Exception {
        try (GrpcClient toLeader = new GrpcClient(leader)) {
            long v = toLeader.set("redirect-existing", "at the leader");
            assertEquals(leader.logAddress(), toLeader.leaderHint());
            for (ServerSpec f : followers) {
                try (GrpcClient c = new GrpcClient(f)) {
                    long client = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
                    redirected(() -> c.set("redirect-new", "v", null));
                    redirected(() -> c.set("redirect-new", "v", id(client, 1)));
                    redirected(() -> c.get("redirect-existing"));
                    redirected(() -> c.getMeta("redirect-existing"));
                    redirected(() -> c.cas("redirect-existing", v, "changed", null));
                    redirected(() -> c.delete("redirect-existing", null));
                    // Status is answered locally, never redirected.
                    StatusResponse s = c.status();
                    assertEquals(f.id(), s.getNodeId());
                    assertEquals(leader.logAddress(), s.getLeaderAddress());

                    // A client follows the hint: the same request id at the leader is a first attempt.
                    long written = toLeader.set("redirect-new", "v", id(client, 1));
                    assertEquals(written, toLeader.get("redirect-new").getVersion());
                    toLeader.delete("redirect-new", null);
                }
            }
            assertEquals(v, toLeader.get("redirect-existing").getVersion(), "no follower wrote anything");
            expect(Code.NOT_FOUND, () -> toLeader.get("redirect-new"));
        }
    }

    @Test
    void followersAnswerErrRedirectOverTheTextProtocol() throws Exception {
        for (ServerSpec f : followers) {
            try (TextClient text = TestCluster.textClient(f, 20_000)) {
                String redirect = "ERR_REDIRECT " + leader.clientAddress();
                assertEquals(redirect, text.call("set text-redirect 0 1\r\nx\r\n"));
                assertEquals(redirect, text.call("get text-redirect\r\n"));
                assertEquals(redirect, text.call("getm text-redirect\r\n"));
                assertEquals(redirect, text.call("cas text-redirect 0 5 1\r\nx\r\n"));
                assertEquals(redirect, text.call("delete text-redirect\r\n"));
            }
        }
        try (TextClient text = TestCluster.textClient(leader, 20_000)) {
            assertEquals("!ERR_NOT_FOUND", text.get("text-redirect"));
            assertTrue(text.set("text-redirect", "at the leader").startsWith("OK "));
            assertEquals("at the leader", text.get("text-redirect"));
        }
    }

    @Test
    void aValueOfExactlyTheConfiguredMaximumPassesBothWaysAndOneMoreIsRejected() throws Exception {
        byte[] max = new byte[MAX_VALUE];
        ThreadLocalRandom.current().nextBytes(max);
        ByteString maxValue = ByteString.copyFrom(max);
        ByteString tooLarge = maxValue.concat(bytes("!"));
        try (GrpcClient toLeader = new GrpcClient(leader); GrpcClient toFollower = new GrpcClient(followers.get(0))) {
            long v = toLeader.set("small-max", maxValue, 0, null);
            assertEquals(maxValue, toLeader.get("small-max").getValue());
            assertEquals(MAX_VALUE, toLeader.getMeta("small-max").getValueSize());

            expect(Code.INVALID_ARGUMENT, () -> toLeader.set("small-too-large", tooLarge, 0, null));
            expect(Code.INVALID_ARGUMENT, () -> toLeader.call().cas(CasRequest.newBuilder().setKey(bytes("small-max"))
                    .setExpectedVersion(v).setValue(tooLarge).build()));
            // Checked before anything else, on a follower too.
            expect(Code.INVALID_ARGUMENT, () -> toFollower.set("small-too-large", tooLarge, 0, null));
            expect(Code.NOT_FOUND, () -> toLeader.get("small-too-large"));
            assertEquals(v, toLeader.get("small-max").getVersion());

            // A message far above gRPC's own limit is refused by gRPC itself (kv.proto "Message size").
            ByteString huge = ByteString.copyFrom(new byte[3 << 20]);
            expect(Code.RESOURCE_EXHAUSTED, () -> toLeader.set("small-huge", huge, 0, null));
            assertEquals(v, toLeader.get("small-max").getVersion(), "the node goes on");
        }
        try (TextClient text = TestCluster.textClient(leader, 20_000)) {
            text.send(("set small-text 0 " + MAX_VALUE + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            text.send(max);
            assertTrue(text.call("\r\n").startsWith("OK "));
            assertEquals("VALUE " + MAX_VALUE, text.call("get small-text\r\n"));
            assertArrayEquals(max, text.valueBytes(MAX_VALUE));
            assertEquals("ERR_TOO_LARGE", text.call("set small-text 0 " + (MAX_VALUE + 1) + "\r\n"));
            text.send(tooLarge.toByteArray());
            text.send("\r\n");
            assertEquals(MAX_VALUE + "", text.call("getm small-text\r\n").split(" ")[3], "unchanged");
            text.valueBytes(MAX_VALUE);
        }
        try (TextClient text = TestCluster.textClient(followers.get(1), 20_000)) {
            assertEquals("ERR_TOO_LARGE", text.call("set small-text 0 " + (MAX_VALUE + 1) + "\r\n"));
        }
    }
}
