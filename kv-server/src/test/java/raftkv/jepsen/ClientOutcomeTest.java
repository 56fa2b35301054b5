package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * How the chaos clients turn replies into outcomes: answers are answers, a command never sent is a
 * fail, and anything that leaves a write's fate open (a timeout, a lost connection, a reply out of
 * step, ERR_TIMEOUT, UNAVAILABLE) is info.
 */
class ClientOutcomeTest {

    @Test
    void textRepliesBecomeOutcomes() throws Exception {
        assertEquals(new Outcome.Ok(17), text(new Call.Set("k", "v"), "set k 0 1\r\nv\r\n", "OK 17\r\n"));
        assertEquals(new Outcome.Value("ab\r\nc", 0), text(new Call.Get("k"), "get k\r\n", "VALUE 5\r\nab\r\nc\r\n"));
        assertEquals(new Outcome.Value("x", 9), text(new Call.GetM("k"), "getm k\r\n", "VALUE 9 0 1\r\nx\r\n"));
        assertEquals(new Outcome.VersionMismatch(), text(new Call.Cas("k", 3, "vv"), "cas k 0 3 2\r\nvv\r\n", "ERR_VERSION\r\n"));
        assertEquals(new Outcome.NotFound(), text(new Call.Cas("k", 3, "v"), "cas k 0 3 1\r\nv\r\n", "ERR_NOT_FOUND\r\n"));
        assertEquals(new Outcome.Deleted(), text(new Call.Delete("k"), "delete k\r\n", "DELETED\r\n"));
        assertEquals(new Outcome.NotFound(), text(new Call.Delete("k"), "delete k\r\n", "ERR_NOT_FOUND\r\n"));
        assertEquals(new Outcome.Fail("text: ERR_CMD_ERR"), text(new Call.Get("k"), "get k\r\n", "ERR_CMD_ERR\r\n"));
        assertEquals(new Outcome.Info("text: ERR_TIMEOUT"), text(new Call.Set("k", "v"), "set k 0 1\r\nv\r\n", "ERR_TIMEOUT\r\n"));
    }

    @Test
    void aWriteWhoseFateIsOpenIsInfo() throws Exception {
        // The node closes the connection after reading the command: it may have applied it.
        assertInstanceOf(Outcome.Info.class, text(new Call.Set("k", "v"), "set k 0 1\r\nv\r\n", ""));
        // A reply that answers another command: the connection is out of step.
        assertInstanceOf(Outcome.Info.class, text(new Call.Set("k", "v"), "set k 0 1\r\nv\r\n", "DELETED\r\n"));
    }

    @Test
    void pipelinedRepliesEndTheirOpsInOrderAndTheRestAreInfoOnceTheConnectionIsLost() throws Exception {
        List<Call> calls = List.of(new Call.Set("a", "1"), new Call.Get("b"), new Call.Delete("a"));
        String request = "set a 0 1\r\n1\r\nget b\r\ndelete a\r\n";
        List<Outcome> outcomes = new ArrayList<>();
        serve(request, "OK 4\r\nERR_NOT_FOUND\r\n", port -> {
            try (TextOps ops = new TextOps("127.0.0.1", port, 5000)) {
                ops.executePipelined(calls, (i, outcome) -> {
                    assertEquals(outcomes.size(), i);
                    outcomes.add(outcome);
                });
            }
        });
        assertEquals(List.of(new Outcome.Ok(4), new Outcome.NotFound()), outcomes.subList(0, 2));
        assertInstanceOf(Outcome.Info.class, outcomes.get(2));
    }

    @Test
    void aCommandThatCouldNotBeSentIsAFail() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (TextOps ops = new TextOps("127.0.0.1", port, 2000)) {
            assertInstanceOf(Outcome.Fail.class, ops.execute(new Call.Set("k", "v")));
        }
    }

    @Test
    void grpcStatusesBecomeOutcomes() {
        Call.Set set = new Call.Set("k", "v");
        Call.Cas cas = new Call.Cas("k", 2, "v");
        assertEquals(new Outcome.NotFound(), GrpcOps.fromStatus(cas, Status.NOT_FOUND));
        assertEquals(new Outcome.VersionMismatch(), GrpcOps.fromStatus(cas, Status.FAILED_PRECONDITION));
        assertInstanceOf(Outcome.Fail.class, GrpcOps.fromStatus(set, Status.INVALID_ARGUMENT));
        assertInstanceOf(Outcome.Fail.class, GrpcOps.fromStatus(set, Status.ABORTED));
        for (Status unknown : new Status[] {Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.CANCELLED, Status.INTERNAL}) {
            assertInstanceOf(Outcome.Info.class, GrpcOps.fromStatus(set, unknown), unknown.toString());
        }
    }

    /** Runs {@code call} against a one-shot server that expects {@code request} and answers {@code reply}, then closes. */
    private static Outcome text(Call call, String request, String reply) throws Exception {
        Outcome[] outcome = new Outcome[1];
        serve(request, reply, port -> {
            try (TextOps ops = new TextOps("127.0.0.1", port, 5000)) {
                outcome[0] = ops.execute(call);
            }
        });
        return outcome[0];
    }

    /** Runs {@code client} against a one-shot server that expects {@code request}, answers {@code reply} and closes. */
    private static void serve(String request, String reply, IntConsumer client) throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    String got = read(s.getInputStream(), request.length());
                    s.getOutputStream().write(reply.getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    return got;
                } catch (IOException e) {
                    return "server failed: " + e;
                }
            });
            client.accept(server.getLocalPort());
            assertEquals(request, received.get(10, TimeUnit.SECONDS));
        }
    }

    private static String read(InputStream in, int n) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (b.size() < n) {
            int c = in.read();
            if (c < 0) break;
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }
}
