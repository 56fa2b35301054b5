package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.proto.kv.RequestId;

/** Endpoints that are down, leader hints, retries with the same request id, and deadlines. */
class FailoverTest {
    @TempDir
    Path dir;

    @Test
    void everyCommandWorksWithTheFirstEndpointDown() throws Exception {
        try (FakeKeyValue node = FakeKeyValue.start()) {
            String endpoints = "127.0.0.1:" + Ports.unused() + "," + node.endpoint();
            Cli cli = new Cli(dir);
            assertEquals("OK 1\n", ok(cli.run("set", "k", "v", "--endpoints", endpoints)));
            assertEquals("v", ok(cli.run("get", "k", "--endpoints", endpoints)));
            assertTrue(ok(cli.run("getm", "k", "--endpoints", endpoints)).startsWith("version 1\n"));
            assertEquals("OK 2\n", ok(cli.run("cas", "k", "1", "w", "--endpoints", endpoints)));
            assertEquals("DELETED\n", ok(cli.run("delete", "k", "--endpoints", endpoints)));
            Cli.Result status = cli.run("status", "--endpoints", endpoints);
            assertEquals(0, status.exit(), status::toString);
            assertTrue(status.stdout().lines().anyMatch(l -> l.contains("down")), status::toString);
        }
    }

    private static String ok(Cli.Result r) {
        assertEquals(0, r.exit(), r::toString);
        return r.stdout();
    }

    @Test
    void allEndpointsDownExits4WithOneLine() throws Exception {
        String endpoints = "127.0.0.1:" + Ports.unused() + ",127.0.0.1:" + Ports.unused();
        Cli cli = new Cli(dir);
        Cli.Result get = cli.run("get", "k", "--endpoints", endpoints);
        CommandsTest.assertFails(ExitCodes.UNAVAILABLE, get, "cluster unavailable");
        Cli.Result set = cli.run("set", "k", "v", "--endpoints", endpoints);
        CommandsTest.assertFails(ExitCodes.UNAVAILABLE, set, "may or may not have taken effect");
        Cli.Result status = cli.run("status", "--endpoints", endpoints);
        assertEquals(ExitCodes.UNAVAILABLE, status.exit(), status::toString);
        assertEquals(1, status.stderrLines().size(), status::toString);
    }

    @Test
    void aNodeWithoutQuorumIsSkippedAndTheRetryReusesTheRequestId() throws Exception {
        AtomicLong versions = new AtomicLong();
        try (FakeKeyValue stuck = FakeKeyValue.start(versions); FakeKeyValue good = FakeKeyValue.start(versions)) {
            stuck.failWith(Status.UNAVAILABLE.withDescription("not committed within the request timeout"));
            Cli.Result r = new Cli(dir).run("set", "k", "v", "--endpoints", stuck.endpoint() + "," + good.endpoint());
            assertEquals(0, r.exit(), r::toString);
            RequestId first = stuck.writeIds().get(0);
            RequestId retry = good.writeIds().get(0);
            assertEquals(first, retry, "a retry of one write carries the same request id");
            assertNotEquals(0, first.getClientId());
            assertEquals(1, first.getSequence());
        }
    }

    @Test
    void theLeaderHintIsFollowed() throws Exception {
        try (FakeKeyValue follower = FakeKeyValue.start(); FakeKeyValue other = FakeKeyValue.start();
             FakeKeyValue leader = FakeKeyValue.start()) {
            // A follower with "forward": false answers UNAVAILABLE and names the leader.
            follower.failWith(Status.UNAVAILABLE.withDescription("not the leader")).leaderHint(leader.endpoint());
            Cli.Result r = new Cli(dir).run("set", "k", "v", "--endpoints", follower.endpoint() + "," + other.endpoint());
            assertEquals(0, r.exit(), r::toString);
            assertEquals(ByteString.copyFromUtf8("v"), leader.value("k"), "the hinted leader, not the next endpoint, got the write");
            assertEquals(0, other.calls());
        }
    }

    @Test
    void laterCallsGoStraightToTheHintedLeader() throws Exception {
        try (FakeKeyValue follower = FakeKeyValue.start(); FakeKeyValue leader = FakeKeyValue.start()) {
            follower.leaderHint(leader.endpoint()); // answers, and names the leader
            try (KvClient client = KvClient.open(List.of(Endpoint.parse(follower.endpoint())), Duration.ofSeconds(5), 1 << 20, "test")) {
                client.set(ByteString.copyFromUtf8("a"), ByteString.copyFromUtf8("1"), 0);
                client.set(ByteString.copyFromUtf8("b"), ByteString.copyFromUtf8("2"), 0);
                client.get(ByteString.copyFromUtf8("b"));
            }
            assertEquals(1, follower.calls());
            assertEquals(2, leader.calls());
        }
    }

    @Test
    void eachWriteTakesTheNextSequenceAndEachSessionItsOwnClientId() throws Exception {
        try (FakeKeyValue node = FakeKeyValue.start();
             KvClient client = KvClient.open(List.of(Endpoint.parse(node.endpoint())), Duration.ofSeconds(5), 1 << 20, "test")) {
            ByteString k = ByteString.copyFromUtf8("k");
            long v = client.set(k, ByteString.copyFromUtf8("1"), 0);
            client.cas(k, v, ByteString.copyFromUtf8("2"), 0);
            client.delete(k);
            KvClient other = client.newSession();
            other.set(k, ByteString.copyFromUtf8("3"), 0);
            List<RequestId> ids = node.writeIds();
            assertEquals(4, ids.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(client.clientId(), ids.get(i).getClientId());
                assertEquals(i + 1, ids.get(i).getSequence());
            }
            assertEquals(other.clientId(), ids.get(3).getClientId());
            assertEquals(1, ids.get(3).getSequence());
            assertNotEquals(client.clientId(), other.clientId());
        }
    }

    @Test
    void aDefinitiveAnswerIsNotRetriedElsewhere() throws Exception {
        try (FakeKeyValue first = FakeKeyValue.start(); FakeKeyValue second = FakeKeyValue.start()) {
            first.failWith(Status.INTERNAL.withDescription("boom"));
            Cli.Result r = new Cli(dir).run("get", "k", "--endpoints", first.endpoint() + "," + second.endpoint());
            CommandsTest.assertFails(ExitCodes.INTERNAL, r, "boom");
            assertEquals(0, second.calls());
        }
    }

    @Test
    void aServerThatDoesNotAnswerInTimeIsATimeoutExit4() throws Exception {
        // A listening socket that never speaks HTTP/2: the call waits until its deadline.
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            long start = System.nanoTime();
            Cli.Result r = new Cli(dir).run("get", "k", "--endpoints", "127.0.0.1:" + silent.getLocalPort(), "--timeout", "0.5");
            CommandsTest.assertFails(ExitCodes.UNAVAILABLE, r, "timed out");
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "the deadline bounds the call");
        }
    }

    @Test
    void statusCodesMapToTheContractsExitCodes() {
        assertEquals(ExitCodes.NOT_FOUND, ExitCodes.of(Status.Code.NOT_FOUND));
        assertEquals(ExitCodes.USAGE, ExitCodes.of(Status.Code.INVALID_ARGUMENT));
        assertEquals(ExitCodes.VERSION_MISMATCH, ExitCodes.of(Status.Code.FAILED_PRECONDITION));
        assertEquals(ExitCodes.UNAVAILABLE, ExitCodes.of(Status.Code.UNAVAILABLE));
        assertEquals(ExitCodes.UNAVAILABLE, ExitCodes.of(Status.Code.DEADLINE_EXCEEDED));
        assertEquals(ExitCodes.INTERNAL, ExitCodes.of(Status.Code.ABORTED));
        assertEquals(ExitCodes.INTERNAL, ExitCodes.of(Status.Code.INTERNAL));
        assertEquals(ExitCodes.INTERNAL, ExitCodes.of(new IllegalStateException("bug")));
    }
}
