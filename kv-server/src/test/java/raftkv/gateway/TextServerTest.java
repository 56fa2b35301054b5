package raftkv.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/** The gateway over real sockets on 127.0.0.1, against an in-memory KvApi that answers out of order. */
class TextServerTest {
    final FakeKvApi api = new FakeKvApi(2000);
    final RequestIdSource ids = new RequestIdSource();
    TextServer server;

    TextServer start(int maxValueBytes) throws IOException {
        server = TextServer.start("127.0.0.1", 0, api, maxValueBytes, ids);
        return server;
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        api.close();
    }

    @Test
    void pipelinedCommandsAreAnsweredInRequestOrder() throws IOException {
        start(1024);
        StringBuilder request = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            request.append("set key").append(i).append(" 0 ").append(("v" + i).length()).append("\r\nv").append(i)
                    .append("\r\n");
        }
        for (int i = 0; i < 300; i++) {
            request.append("get key").append(i).append("\r\n").append("getm key").append(i).append("\r\n");
        }
        try (TextClient client = TextClient.connect(server.port())) {
            client.send(request.toString());
            long previous = 0;
            for (int i = 0; i < 300; i++) {
                String ok = client.line();
                assertTrue(ok.matches("OK [1-9][0-9]*"), ok);
                previous = Math.max(previous, Long.parseLong(ok.substring(3)));
            }
            for (int i = 0; i < 300; i++) {
                assertEquals("v" + i, client.value()[1]);
                String[] meta = client.value();
                assertTrue(meta[0].matches("VALUE [1-9][0-9]* 0 " + ("v" + i).length()), meta[0]);
                assertEquals("v" + i, meta[1]);
            }
        }
        assertTrue(api.completedOutOfOrder.get() > 0, "the fake should have completed futures out of order");
        assertEquals(0, api.clientIdsSharedInFlight.get());
        assertEquals(0, api.writesWithoutRequestId.get());
    }

    @Test
    void pipelinedCommandsOnOneKeyTakeEffectInProgramOrder() throws IOException {
        start(1024);
        try (TextClient client = TextClient.connect(server.port())) {
            for (int round = 0; round < 50; round++) {
                client.send("set k 0 1\r\na\r\nget k\r\nset k 0 1\r\nb\r\nset k 0 1\r\nc\r\ngetm k\r\n"
                        + "delete k\r\nget k\r\ndelete k\r\n");
                long v1 = Long.parseLong(client.line().substring(3));
                assertEquals("a", client.value()[1]);
                long v2 = Long.parseLong(client.line().substring(3));
                long v3 = Long.parseLong(client.line().substring(3));
                assertTrue(v1 < v2 && v2 < v3, v1 + " " + v2 + " " + v3);
                assertArrayEquals(new String[] {"VALUE " + v3 + " 0 1", "c"}, client.value());
                assertEquals("DELETED", client.line());
                assertEquals("ERR_NOT_FOUND", client.line());
                assertEquals("ERR_NOT_FOUND", client.line());
            }
        }
    }

    @Test
    void binaryValueWithCrlfAndNulRoundTrips() throws IOException {
        start(1024);
        StringBuilder value = new StringBuilder("\r\n\0");
        for (int b = 0; b < 256; b++) {
            value.append((char) b);
        }
        value.append("\r\nset x 0 1\r\n\r\n");
        try (TextClient client = TextClient.connect(server.port())) {
            client.send("set bin 60 " + value.length() + "\r\n" + value + "\r\nget bin\r\ngetm bin\r\n");
            long version = Long.parseLong(client.line().substring(3));
            assertEquals(value.toString(), client.value()[1]);
            assertArrayEquals(new String[] {"VALUE " + version + " 60 " + value.length(), value.toString()},
                    client.value());
        }
    }

    @Test
    void zeroByteValue() throws IOException {
        start(1024);
        try (TextClient client = TextClient.connect(server.port())) {
            client.send("set empty 0 0\r\n\r\nget empty\r\ncas empty 0 999 0\r\n\r\n");
            assertTrue(client.line().startsWith("OK "));
            assertArrayEquals(new String[] {"VALUE 0", ""}, client.value());
            assertEquals("ERR_VERSION", client.line());
        }
    }

    @Test
    void noreplySendsNothingEvenForErrors() throws IOException {
        start(1024);
        try (TextClient client = TextClient.connect(server.port())) {
            client.send("set k 0 1 noreply\r\na\r\n" // success: silent
                    + "set k -1 1 noreply\r\nb\r\n" // malformed: silent
                    + "cas k 0 12345 1 noreply\r\nc\r\n" // ERR_VERSION: silent
                    + "set k 0 3 noreply\r\nlonger\r\n" // value length differs: silent
                    + "get k\r\n");
            // The first bytes back are the get's reply, and the value is the first set's.
            assertArrayEquals(new String[] {"VALUE 1", "a"}, client.value());
            client.send("get k noreply\r\n"); // noreply is for set and cas only
            assertEquals("ERR_CMD_ERR", client.line());
        }
    }

    @Test
    void tooLargeValueIsSkippedAndTheConnectionStaysInStep() throws IOException {
        start(16);
        try (TextClient client = TextClient.connect(server.port())) {
            // The skipped value looks like commands; none of it may run.
            client.send("set k 0 17\r\nset x 0 1\r\ny\r\nget\r\nset k 0 16\r\n0123456789abcdef\r\nget k\r\n");
            assertEquals("ERR_TOO_LARGE", client.line());
            assertTrue(client.line().startsWith("OK "));
            assertEquals("0123456789abcdef", client.value()[1]);
        }
    }

    @Test
    void hugeAnnouncedValueIsSkippedWhileItStreams() throws IOException {
        start(1024 * 1024);
        try (TextClient client = TextClient.connect(server.port())) {
            int size = 16 * 1024 * 1024;
            client.send("set big 0 " + size + "\r\n");
            assertEquals("ERR_TOO_LARGE", client.line()); // reported before the value is even sent
            byte[] chunk = new byte[1024 * 1024];
            for (int i = 0; i < size / chunk.length; i++) {
                client.send(chunk);
            }
            client.send("\r\nget big\r\n");
            assertEquals("ERR_NOT_FOUND", client.line());
        }
    }

    @Test
    void overlongLineIsAnErrorAndTheNextCommandWorks() throws IOException {
        start(1024);
        try (TextClient client = TextClient.connect(server.port())) {
            client.send("get " + "a".repeat(100_000) + "\r\nset k 0 1\r\nv\r\n");
            assertEquals("ERR_CMD_ERR", client.line());
            assertTrue(client.line().startsWith("OK "));
        }
    }

    @Test
    void malformedCommandsGetTheirErrorAndTheConnectionGoesOn() throws IOException {
        start(1024);
        try (TextClient client = TextClient.connect(server.port())) {
            client.send("bogus\r\n\r\nget\r\nget a\0b\r\nset k x 1\r\nv\r\nset k 0 1\r\nvv\r\nget k\r\n"
                    + "cas k 0 1 1\r\nv\r\ndelete k\ngetm k\n");
            for (int i = 0; i < 6; i++) {
                assertEquals("ERR_CMD_ERR", client.line(), "reply " + i);
            }
            assertEquals("ERR_NOT_FOUND", client.line()); // get k
            assertEquals("ERR_NOT_FOUND", client.line()); // cas
            assertEquals("ERR_NOT_FOUND", client.line()); // delete
            assertEquals("ERR_NOT_FOUND", client.line()); // getm
        }
    }

    @Test
    void brokenKvApiGivesErrInternalForThatCommandOnly() throws IOException {
        start(1024);
        try (TextClient client = TextClient.connect(server.port())) {
            client.send("get boom\r\nset fail 0 1\r\nx\r\ndelete null\r\nset ok 0 1\r\ny\r\nget ok\r\n");
            assertEquals("ERR_INTERNAL", client.line());
            assertEquals("ERR_INTERNAL", client.line());
            assertEquals("ERR_INTERNAL", client.line());
            assertTrue(client.line().startsWith("OK "));
            assertEquals("y", client.value()[1]);
        }
    }

    @Test
    void clientThatShutsItsOutputStillGetsEveryReplyThenEof() throws IOException {
        start(1024);
        try (TextClient client = TextClient.connect(server.port())) {
            client.send("set k 0 1\r\nv\r\nget k\r\nget miss\r\nget k").shutdownOutput();
            assertTrue(client.line().startsWith("OK "));
            assertEquals("v", client.value()[1]);
            assertEquals("ERR_NOT_FOUND", client.line());
            assertTrue(client.atEof(), "the unfinished last command gets no reply; the server closes");
        }
    }

    @Test
    void closeEndsIdleConnectionsAndFreesThePort() throws IOException {
        start(1024);
        int port = server.port();
        try (TextClient idle = TextClient.connect(port)) {
            Await.until(Duration.ofSeconds(20), "connection registered", () -> server.stats().connections() == 1);
            server.close(Duration.ofSeconds(5));
            assertTrue(idle.atEof());
        }
        server = TextServer.start("127.0.0.1", port, api, 1024, ids);
        assertEquals(port, server.port());
    }

    @Test
    void closeAnswersPendingCommandsThenClosesTheConnection() throws Exception {
        start(1024);
        int port = server.port();
        try (TextClient client = TextClient.connect(port)) {
            client.send("set a 0 1\r\n1\r\nget hold\r\n");
            assertTrue(client.line().startsWith("OK "));
            Await.until(Duration.ofSeconds(20), "command parked", api.heldCount::get, n -> n == 1);

            CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> server.close(Duration.ofSeconds(20)));
            Await.until(Duration.ofSeconds(20), "listener closed", () -> !accepts(port));
            assertFalse(closing.isDone(), "close waits for the pending command");
            api.openGate();

            assertEquals("ERR_NOT_FOUND", client.line());
            assertTrue(client.atEof());
            closing.get(20, TimeUnit.SECONDS);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    @Test
    void portInUseIsAClearIOException() throws IOException {
        start(1024);
        IOException e = assertThrows(IOException.class,
                () -> TextServer.start("127.0.0.1", server.port(), api, 1024, ids).close());
        assertTrue(e.getMessage().contains("127.0.0.1:" + server.port()), e.getMessage());
    }
}
