package raftkv.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Against a stand-in server on loopback that answers with canned bytes. */
class TextClientTest {
    private ServerSocket server;

    /** Accepts one connection, reads {@code expectRequest} bytes, answers {@code reply}, and keeps the connection open. */
    private CompletableFuture<String> serve(int expectRequest, String reply) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        return CompletableFuture.supplyAsync(() -> {
            try {
                Socket s = server.accept();
                InputStream in = s.getInputStream();
                String request = new String(in.readNBytes(expectRequest), StandardCharsets.ISO_8859_1);
                OutputStream out = s.getOutputStream();
                out.write(reply.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return request;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @AfterEach
    void close() throws IOException {
        if (server != null) server.close();
    }

    @Test
    void setSendsTheCommandAndGetReadsTheValue() throws Exception {
        CompletableFuture<String> request = serve(16, "STORED\r\nVALUE 3\r\nabc\r\n");
        try (TextClient c = TextClient.connect(server.getLocalPort())) {
            assertEquals("STORED", c.set("k", "abc"));
            c.send("get k\r\n");
            assertArrayEquals(new String[] {"VALUE 3", "abc"}, c.value());
        }
        assertEquals("set k 0 3\r\nabc\r\n", request.get());
    }

    @Test
    void aReplyThatIsNotAValueIsMarked() throws Exception {
        serve(7, "NOT_FOUND\r\n");
        try (TextClient c = TextClient.connect(server.getLocalPort())) {
            assertEquals("!NOT_FOUND", c.get("k"));
        }
    }

    @Test
    void noReplyWithinTheTimeoutIsNullAndBadFramingFails() throws Exception {
        serve(6, "oops\n");
        try (TextClient c = TextClient.connect("127.0.0.1", server.getLocalPort(), 200)) {
            assertNull(c.replyOrNull("get a\r"));
        }
        close();
        serve(1, "half\rline\r\n");
        try (TextClient c = TextClient.connect(server.getLocalPort())) {
            IOException e = assertThrows(IOException.class, () -> c.call("x"));
            assertTrue(e.getMessage().contains("not followed by"), e.getMessage());
        }
    }
}
