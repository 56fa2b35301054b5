package raftkv.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/** SPEC 11: the text gateway's server-wide limits, over real sockets on 127.0.0.1. */
class GatewayLimitsTest {
    private static final int VALUE = 100_000;
    final FakeKvApi api = new FakeKvApi(2000);
    TextServer server;
    final List<TextClient> clients = new ArrayList<>();

    private TextServer start(int maxConnections, long maxBufferedBytes) throws IOException {
        server = TextServer.start("127.0.0.1", 0, api, new GatewayLimits(1 << 20, TextDecoder.DEFAULT_MAX_LINE_BYTES,
                GatewayLimits.DEFAULT_MAX_PENDING_COMMANDS, GatewayLimits.DEFAULT_MAX_PENDING_BYTES, maxConnections,
                maxBufferedBytes), new RequestIdSource());
        return server;
    }

    private TextClient connect() throws IOException {
        TextClient c = TextClient.connect(server.port());
        clients.add(c);
        return c;
    }

    @AfterEach
    void tearDown() throws IOException {
        for (TextClient c : clients) c.close();
        if (server != null) server.close();
        api.close();
    }

    @Test
    void aConnectionOverMaxConnectionsGetsOneLineAndIsClosedAndCounted() throws IOException {
        start(2, 1 << 20);
        TextClient a = connect();
        TextClient b = connect();
        assertEquals("ERR_NOT_FOUND", a.send("get k\r\n").line());
        assertEquals("ERR_NOT_FOUND", b.send("get k\r\n").line());

        TextClient c = connect();
        assertEquals("ERR_SERVER_BUSY", c.line());
        assertTrue(c.atEof());
        assertEquals(1, server.stats().refusedConnections());
        assertEquals("ERR_NOT_FOUND", a.send("get k\r\n").line(), "the others go on");

        b.close();
        Await.until(Duration.ofSeconds(20), "the closed connection to be counted out", () -> server.stats().connections() == 1);
        assertEquals("ERR_NOT_FOUND", connect().send("get k\r\n").line(), "room again");
    }

    @Test
    void unfinishedValuesAcrossConnectionsStayWithinTheBudget() throws IOException {
        start(100, 2L * VALUE + VALUE / 2);
        String header = "set k 0 " + VALUE + "\r\n";
        String most = "x".repeat(VALUE - 1);
        TextClient a = connect().send(header + most);
        TextClient b = connect().send(header + most);
        Await.until(Duration.ofSeconds(20), "two values to be buffered", () -> server.bufferedBytes() >= 2L * (VALUE - 1));

        TextClient c = connect().send(header + most);
        assertEquals("ERR_SERVER_BUSY", c.line());
        assertTrue(c.atEof());
        assertEquals(1, server.stats().overBudgetConnections());
        assertTrue(server.bufferedBytes() <= 2L * VALUE + VALUE / 2, "at most the budget: " + server.bufferedBytes());

        assertTrue(a.send("x\r\n").line().startsWith("OK "), "the others finish their commands");
        assertTrue(b.send("x\r\n").line().startsWith("OK "));
        Await.until(Duration.ofSeconds(20), "the budget to be given back", () -> server.bufferedBytes() == 0);
        TextClient d = connect().send(header + most + "x\r\n");
        assertTrue(d.line().startsWith("OK "), "room again");
    }

    @Test
    void aConnectionOverTheBudgetIsAnsweredWhatItIsOwedFirst() throws IOException {
        start(100, VALUE / 2);
        TextClient a = connect().send("get k\r\nset k 0 " + VALUE + "\r\n" + "x".repeat(VALUE - 1));
        assertEquals("ERR_NOT_FOUND", a.line());
        assertEquals("ERR_SERVER_BUSY", a.line());
        assertTrue(a.atEof());
        Await.until(Duration.ofSeconds(20), "the budget to be given back", () -> server.bufferedBytes() == 0);
    }
}
