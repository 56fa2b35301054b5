package raftkv.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.gateway.Bytes.bytes;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/** Many connections, stalled clients and clients that never read: nobody hurts anybody else. */
class TextServerLoadTest {
    final FakeKvApi api = new FakeKvApi(2000);
    final ExecutorService pool = Executors.newFixedThreadPool(32);
    final List<TextClient> clients = new ArrayList<>();
    TextServer server;

    @AfterEach
    void tearDown() throws IOException {
        for (TextClient client : clients) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        pool.shutdownNow();
        api.close();
    }

    TextClient connect() throws IOException {
        return connect(0);
    }

    TextClient connect(int receiveBuffer) throws IOException {
        TextClient client = TextClient.connect("127.0.0.1", server.port(), TextClient.DEFAULT_TIMEOUT_MS, receiveBuffer);
        clients.add(client);
        return client;
    }

    @Test
    void thousandConcurrentConnectionsEachSetAndGet() throws Exception {
        server = TextServer.start("127.0.0.1", 0, api, 1024, new RequestIdSource());
        for (int i = 0; i < 1000; i++) {
            connect();
        }
        Await.until(Duration.ofSeconds(20), "1000 connections open", () -> server.stats().connections() == 1000);

        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 32; t++) {
            int first = t;
            work.add(pool.submit(() -> {
                for (int i = first; i < 1000; i += 32) {
                    clients.get(i).send("set key" + i + " 0 " + ("value" + i).length() + "\r\nvalue" + i
                            + "\r\nget key" + i + "\r\n");
                }
                for (int i = first; i < 1000; i += 32) {
                    assertTrue(clients.get(i).line().startsWith("OK "));
                    assertEquals("value" + i, clients.get(i).value()[1]);
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertEquals(0, api.clientIdsSharedInFlight.get());

        for (TextClient client : clients) {
            client.close();
        }
        Await.until(Duration.ofSeconds(20), "all connections closed", () -> server.stats().connections() == 0);
    }

    @Test
    void halfSentCommandsDoNotBlockOtherClients() throws Exception {
        server = TextServer.start("127.0.0.1", 0, api, 1024, new RequestIdSource());
        List<TextClient> stalled = new ArrayList<>();
        for (int i = 0; i < 8; i++) { // several, so that some share the other client's event loop
            stalled.add(connect().send(i % 2 == 0 ? "set half" + i + " 0 10\r\nabc" : "get ha"));
        }
        TextClient other = connect();
        other.send("set k 0 1\r\nv\r\nget k\r\n");
        assertTrue(other.line().startsWith("OK "));
        assertEquals("v", other.value()[1]);

        for (int i = 0; i < 8; i++) {
            TextClient client = stalled.get(i);
            if (i % 2 == 0) {
                client.send("defghij\r\nget half" + i + "\r\n");
                assertTrue(client.line().startsWith("OK "));
                assertEquals("abcdefghij", client.value()[1]);
            } else {
                client.send("lf\r\n");
                assertEquals("ERR_NOT_FOUND", client.line());
            }
        }
    }

    /**
     * A client pipelines hundreds of thousands of commands and reads nothing while they cannot
     * complete: the server takes at most maxPendingCommands of them, stops reading that socket,
     * keeps serving others, and once things move again answers every command in order.
     */
    @Test
    void pipeliningWithoutReadingIsBoundedAndOthersAreServed() throws Exception {
        server = TextServer.start("127.0.0.1", 0, api, 1024, new RequestIdSource());
        int limit = GatewayLimits.DEFAULT_MAX_PENDING_COMMANDS;
        String command = "get hold\r\n";
        int perChunk = 65536 / command.length();
        byte[] chunk = bytes(command.repeat(perChunk));
        int chunks = 32;
        TextClient flooder = connect(16 * 1024);
        flooder.send(chunk); // more commands than the limit, certainly sent
        Future<?> writer = pool.submit(() -> {
            for (int i = 1; i < chunks; i++) {
                flooder.send(chunk); // blocks once the server stops reading
            }
            flooder.shutdownOutput();
            return null;
        });

        Await.until(Duration.ofSeconds(20), "the limit of parked commands", api.heldCount::get, n -> n == limit);
        Await.until(Duration.ofSeconds(20), "reading paused", () -> server.stats().pausedConnections() == 1);
        TextClient other = connect();
        other.send("set k 0 1\r\nv\r\nget k\r\n");
        assertTrue(other.line().startsWith("OK "));
        assertEquals("v", other.value()[1]);
        // The flooder sent over six times the limit, but only the limit was taken from it.
        assertEquals(limit, api.heldCount.get());
        assertEquals(limit, server.stats().peakPendingCommands());
        assertEquals(limit + 2, server.stats().commands());

        api.openGate();
        for (long i = 0; i < (long) perChunk * chunks; i++) {
            assertEquals("ERR_NOT_FOUND", flooder.line(), "reply " + i);
        }
        writer.get(60, TimeUnit.SECONDS);
        assertTrue(flooder.atEof());
        assertTrue(server.stats().peakPendingCommands() <= limit);
    }

    /**
     * A client asks for a large value again and again and does not read the replies: the server
     * writes only while the socket keeps up, so what it has queued for that client stays near the
     * write high water mark instead of growing to a gigabyte.
     */
    @Test
    void clientThatDoesNotReadLargeRepliesIsBoundedAndOthersAreServed() throws Exception {
        server = TextServer.start("127.0.0.1", 0, api, 1024 * 1024, new RequestIdSource());
        byte[] big = new byte[1024 * 1024];
        new java.util.SplittableRandom(3).nextBytes(big);
        api.put("big", ByteString.copyFrom(big));
        TextClient slow = connect(16 * 1024);
        slow.send("get big\r\n".repeat(1000)); // a gigabyte of replies

        Await.until(Duration.ofSeconds(20), "reading paused", () -> server.stats().pausedConnections() == 1);
        TextClient other = connect();
        other.send("get k\r\n");
        assertEquals("ERR_NOT_FOUND", other.line());
        assertTrue(server.stats().peakOutboundBytes() <= 64 * 1024 + big.length + 100,
                "outbound " + server.stats().peakOutboundBytes());

        String expected = new String(big, java.nio.charset.StandardCharsets.ISO_8859_1);
        CompletableFuture<Void> read = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < 1000; i++) {
                    assertArrayEquals(new String[] {"VALUE " + big.length, expected}, slow.value());
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, pool);
        read.get(120, TimeUnit.SECONDS);
        assertTrue(server.stats().peakOutboundBytes() <= 64 * 1024 + big.length + 100,
                "outbound " + server.stats().peakOutboundBytes());
        // Replies held for it, written or not: within the byte budget plus one value.
        assertTrue(server.stats().peakPendingBytes() <= GatewayLimits.DEFAULT_MAX_PENDING_BYTES + big.length + 100,
                "held " + server.stats().peakPendingBytes());
    }
}
