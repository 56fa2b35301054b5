package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.RequestId;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/** SPEC 11 against real node processes on 127.0.0.1: each limit is an error to its client, never a crash. */
class LimitsIT {
    private static final Duration LEADER = Duration.ofSeconds(60);
    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void cleanUp() {
        if (cluster != null) cluster.close();
    }

    private static String value(int bytes, char fill) {
        return String.valueOf(fill).repeat(bytes);
    }

    @Test
    void pastTheQuotaWritesGetNoSpaceWhileReadsAndDeletesWorkAndARestartComesBack() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3, "\"quotaBytes\": 2097152");
        cluster.startAll();
        ServerSpec leader = cluster.awaitLeader(LEADER);
        String big = value(64 << 10, 'q');
        List<String> acked = new ArrayList<>();
        try (TextClient text = TestCluster.textClient(leader, 20_000)) {
            String reply;
            while ((reply = text.set("k" + acked.size(), big)).startsWith("OK ")) {
                acked.add("k" + acked.size());
                assertTrue(acked.size() < 100, "the quota never bit");
            }
            assertEquals("ERR_NO_SPACE", reply);
            assertTrue(acked.size() >= 25 && acked.size() <= 32, "2 MiB holds about 31 values of 64 KiB: " + acked.size());
            try (GrpcClient grpc = new GrpcClient(leader)) {
                var e = GrpcClient.expect(Status.Code.RESOURCE_EXHAUSTED, () -> grpc.set("grpc-new", big));
                assertTrue(e.getStatus().getDescription().startsWith("store quota exceeded"), e.getStatus().toString());
            }
            System.out.println("LimitsIT: a 2 MiB quota took " + acked.size() + " values of 64 KiB, then ERR_NO_SPACE");
            assertEquals(big, text.get("k0"), "reads still work");
            assertEquals("ERR_NO_SPACE", text.set("k0", big + big), "growing a key is refused too");
            assertTrue(text.set("k0", "small").startsWith("OK "), "shrinking works");
            assertEquals("DELETED", text.call("delete k1\r\n"));
            acked.remove("k1");
            assertTrue(text.set("new", big).startsWith("OK "), "room again after the delete");
            acked.add("new");
        }
        for (ServerSpec s : cluster.config().servers()) assertEquals(0, cluster.stop(s.id()));
        cluster.startAll();
        leader = cluster.awaitLeader(LEADER);
        try (TextClient text = TestCluster.textClient(leader, 20_000)) {
            assertEquals("small", text.get("k0"));
            for (String key : acked.subList(1, acked.size())) assertEquals(big, text.get(key), key);
            // k0 shrank by one value's worth before the restart: exactly that room is left.
            assertTrue(text.set("another", big).startsWith("OK "));
            assertEquals("ERR_NO_SPACE", text.set("yet-another", big), "the quota holds after the restart");
        }
    }

    @Test
    void aRequestIdReusedForAnotherCommandIsRefusedAndTheFirstWriteStands() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3);
        cluster.startAll();
        ServerSpec leader = cluster.awaitLeader(LEADER);
        ServerSpec follower = cluster.config().servers().stream().filter(s -> s.id() != leader.id()).findFirst().orElseThrow();
        RequestId id = GrpcClient.id(0x5eed, 1);
        try (GrpcClient a = new GrpcClient(leader); GrpcClient b = new GrpcClient(follower)) {
            long version = a.set("shared", "first", id);
            var e = GrpcClient.expect(Status.Code.INVALID_ARGUMENT, () -> b.set("shared", "second", id));
            assertTrue(e.getStatus().getDescription().contains("request id already used"), e.getStatus().toString());
            assertEquals(version, b.set("shared", "first", id), "a true retry still gets the first result");
            assertEquals("first", a.get("shared").getValue().toStringUtf8());
        }
    }

    @Test
    void connectionsOverMaxConnectionsAreRefusedWithAClearError() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 1, "\"maxConnections\": 2");
        cluster.startAll();
        ServerSpec node = cluster.awaitLeader(LEADER);
        // Connections the leader probe opened may still be closing: take each client's slot once one is served.
        List<TextClient> text = new ArrayList<>();
        try {
            TextClient one = servedText(node, text);
            servedText(node, text);
            TextClient three = TestCluster.textClient(node, 20_000);
            text.add(three);
            assertEquals("ERR_SERVER_BUSY", three.line());
            assertEquals("!ERR_NOT_FOUND", one.get("k"), "the others go on");
        } finally {
            for (TextClient c : text) c.close();
        }
        List<GrpcClient> grpc = new ArrayList<>();
        try {
            GrpcClient one = served(node, grpc);
            GrpcClient two = served(node, grpc);
            GrpcClient three = new GrpcClient(node);
            grpc.add(three);
            var e = GrpcClient.expect(Status.Code.UNAVAILABLE, () -> three.get("k"));
            assertTrue(e.getStatus().getDescription().contains("too many connections"), e.getStatus().toString());
            GrpcClient.expect(Status.Code.NOT_FOUND, () -> one.get("k"));
            GrpcClient.expect(Status.Code.NOT_FOUND, () -> two.get("k"));
            one.close();
            served(node, grpc); // its slot comes back
        } finally {
            for (GrpcClient c : grpc) c.close();
        }
    }

    private static void closeQuietly(GrpcClient c) {
        try {
            c.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A new text connection once the node serves one (!ERR_NOT_FOUND for a missing key); a refused
     * one must say ERR_SERVER_BUSY, and is kept to close later.
     */
    private static TextClient servedText(ServerSpec node, List<TextClient> opened) {
        TextClient[] found = new TextClient[1];
        Await.until(Duration.ofSeconds(30), "a text connection to be served", () -> {
            TextClient c;
            String reply;
            try {
                c = TestCluster.textClient(node, 20_000);
                opened.add(c);
                reply = c.get("k");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            if (!"!ERR_NOT_FOUND".equals(reply)) {
                assertEquals("ERR_SERVER_BUSY", reply, "a connection over the limit is refused, nothing else");
                return false;
            }
            found[0] = c;
            return true;
        });
        return found[0];
    }

    /** A new gRPC client once the node serves one (NOT_FOUND for a missing key); refused ones are kept to close later. */
    private static GrpcClient served(ServerSpec node, List<GrpcClient> opened) {
        GrpcClient[] found = new GrpcClient[1];
        Await.until(Duration.ofSeconds(30), "a gRPC connection to be served", () -> {
            GrpcClient c = new GrpcClient(node, 5_000);
            opened.add(c);
            try {
                c.get("k");
            } catch (io.grpc.StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                    closeQuietly(c);
                    return false;
                }
            }
            found[0] = c;
            return true;
        });
        return found[0];
    }

    @Test
    void manyConnectionsHoldingUnfinishedValuesStayWithinTheBufferBudget() throws Exception {
        int budget = 16 << 20;
        int value = 1 << 20;
        cluster = TestCluster.onLocalhost(dir, 1, "\"textBufferBytes\": " + budget);
        cluster.startAll();
        ServerSpec node = cluster.awaitLeader(LEADER);
        byte[] most = value(value - 1, 'b').getBytes(StandardCharsets.ISO_8859_1);
        List<TextClient> clients = new ArrayList<>();
        int ok = 0;
        int busy = 0;
        try {
            for (int i = 0; i < 48; i++) {
                TextClient c = TestCluster.textClient(node, 30_000);
                clients.add(c);
                try {
                    c.send("set held" + i + " 0 " + value + "\r\n");
                    c.send(most);
                } catch (IOException e) {
                    // Refused and closed while still sending: its reply is read below.
                }
            }
            for (TextClient c : clients) {
                try {
                    c.send("b\r\n");
                } catch (IOException e) {
                    // as above
                }
                String reply = c.line();
                if (reply.startsWith("OK ")) ok++;
                else if (reply.equals("ERR_SERVER_BUSY")) busy++;
                else throw new AssertionError("unexpected reply " + reply);
            }
        } finally {
            for (TextClient c : clients) c.close();
        }
        System.out.println("LimitsIT: 48 connections holding 1 MiB each against a 16 MiB budget: " + ok + " OK, " + busy
                + " ERR_SERVER_BUSY");
        // A value finished and applied gives its room back, so a few more than 16 may be served in the end.
        assertTrue(ok >= 8 && ok <= 24, ok + " served");
        assertTrue(busy >= 24, busy + " refused");
        assertEquals(48, ok + busy);
        assertTrue(cluster.running(0));
        try (TextClient text = TestCluster.textClient(node, 20_000)) {
            assertTrue(text.set("after", "v").startsWith("OK "), "the node goes on");
        }
    }

    @Test
    void aNodeOutOfHeapExitsAndARestartRecoversEveryAcknowledgedWrite() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 1, "\"quotaBytes\": 8589934592", "\"snapshotEntries\": 1000000");
        Process small = cluster.start(0, "64m");
        ServerSpec node = cluster.awaitLeader(LEADER);
        String big = value(1 << 20, 'h');
        List<String> acked = new ArrayList<>();
        try (TextClient text = TestCluster.textClient(node, 60_000)) {
            while (acked.size() < 500) {
                String reply = text.set("big" + acked.size(), big);
                if (!reply.startsWith("OK ")) break;
                acked.add("big" + acked.size());
            }
        } catch (IOException e) {
            // The process died under the write: expected.
        }
        assertTrue(small.waitFor(60, TimeUnit.SECONDS), "the node out of heap is still running (limping)");
        assertEquals(3, small.exitValue(), "ExitOnOutOfMemoryError's exit code");
        String log = Files.readString(cluster.log(0), StandardCharsets.UTF_8);
        assertTrue(log.contains("OutOfMemoryError"), log);
        assertFalse(acked.isEmpty());
        System.out.println("LimitsIT: a 64 MiB heap took " + acked.size() + " values of 1 MiB, then the node exited (3)");

        cluster.start(0, "256m");
        cluster.awaitLeader(LEADER);
        try (TextClient text = TestCluster.textClient(node, 20_000)) {
            for (String key : acked) assertEquals(big.length(), text.get(key).length(), key);
        }
    }

    @Test
    void aMaxValueBytesOverWhatTheLogCarriesStopsTheNodeWithOneLine() throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"maxValueBytes\": 300000000, \"servers\": [{\"Id\": 0, \"Hostname\": \"127.0.0.1\","
                + " \"ClientPort\": 1, \"LogPort\": 2}]}");
        Process p = new ProcessBuilder(TestCluster.serverCommand("--id", "0", "--config", config.toString()))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.isBlank()).toList();
        assertEquals(2, p.exitValue());
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("maxValueBytes: must be at most 267386880"), lines.get(0));
    }

    @Test
    void aDataFolderThatCannotBeUsedStopsTheNodeWithOneLineAndNoStackTrace() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 1);
        Path nodeDir = cluster.config().nodeDir(0);
        Files.createDirectories(nodeDir);
        Files.writeString(nodeDir.resolve("snapshots"), "a file where the snapshot folder belongs");
        Process p = new ProcessBuilder(TestCluster.serverCommand("--id", "0", "--config", cluster.configFile().toString()))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(74, p.exitValue(), out);
        assertFalse(out.contains("\tat "), out);
        assertTrue(out.strip().lines().reduce((a, b) -> b).orElse("").startsWith("kv-server: node 0 cannot use its data folder"), out);
    }
}
