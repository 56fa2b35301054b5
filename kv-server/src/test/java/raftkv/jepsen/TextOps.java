package raftkv.jepsen;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiConsumer;
import raftkv.testing.TextClient;

/**
 * One chaos client's text-protocol connection to one node: sends a {@link Call} and reads the
 * reply into an {@link Outcome}. After anything that leaves the connection out of step (a timeout,
 * a lost connection, a reply it cannot read) the connection is closed and the next call opens a
 * new one. Not thread-safe: one per client thread and node.
 */
final class TextOps implements AutoCloseable {
    /** How the error of an operation that got no reply in time begins. */
    static final String NO_REPLY = "text: no reply within";

    private final String host;
    private final int port;
    private final int timeoutMs;
    private TextClient client;

    TextOps(String host, int port, int timeoutMs) {
        this.host = host;
        this.port = port;
        this.timeoutMs = timeoutMs;
    }

    /**
     * Runs {@code call}. A connection that cannot be opened means the command was never sent: a
     * fail. A timeout or a connection lost after sending leaves the outcome unknown: info.
     */
    Outcome execute(Call call) {
        Outcome[] result = new Outcome[1];
        executePipelined(List.of(call), (i, outcome) -> result[0] = outcome);
        return result[0];
    }

    /**
     * Sends every call before reading any reply (pipelining), then hands each outcome to
     * {@code onReply} (with the call's position) as its reply arrives, in order. Once a reply
     * fails to come, that call and every later one end as the first would alone.
     */
    void executePipelined(List<Call> calls, BiConsumer<Integer, Outcome> onReply) {
        try {
            connect();
        } catch (IOException e) {
            close();
            Outcome notSent = new Outcome.Fail("text: cannot connect: " + (e instanceof ConnectException ? "refused" : e.getMessage()));
            for (int i = 0; i < calls.size(); i++) onReply.accept(i, notSent);
            return;
        }
        int next = 0;
        try {
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (Call call : calls) batch.writeBytes(encode(call));
            client.send(batch.toByteArray());
            for (; next < calls.size(); next++) onReply.accept(next, decode(calls.get(next)));
        } catch (SocketTimeoutException e) {
            failFrom(next, calls.size(), new Outcome.Info(NO_REPLY + " " + timeoutMs + " ms"), onReply);
        } catch (IOException e) {
            failFrom(next, calls.size(), new Outcome.Info("text: connection lost: " + e.getMessage()), onReply);
        } catch (RuntimeException e) {
            failFrom(next, calls.size(), new Outcome.Info("text: unreadable reply: " + e.getMessage()), onReply);
        }
    }

    private void failFrom(int from, int to, Outcome outcome, BiConsumer<Integer, Outcome> onReply) {
        close();
        for (int i = from; i < to; i++) onReply.accept(i, outcome);
    }

    private void connect() throws IOException {
        if (client == null) client = TextClient.connect(host, port, timeoutMs);
    }

    private static byte[] encode(Call call) {
        String text;
        if (call instanceof Call.Set s) {
            text = "set " + s.key() + " 0 " + bytes(s.value()).length + "\r\n" + s.value() + "\r\n";
        } else if (call instanceof Call.Cas c) {
            text = "cas " + c.key() + " 0 " + c.expectedVersion() + " " + bytes(c.value()).length + "\r\n" + c.value() + "\r\n";
        } else {
            text = call.verb() + " " + call.key() + "\r\n";
        }
        return bytes(text);
    }

    private Outcome decode(Call call) throws IOException {
        String line = readLine();
        switch (line) {
            case "ERR_NOT_FOUND":
                return call instanceof Call.Set ? unexpected(line) : new Outcome.NotFound();
            case "ERR_VERSION":
                return call instanceof Call.Cas ? new Outcome.VersionMismatch() : unexpected(line);
            case "DELETED":
                return call instanceof Call.Delete ? new Outcome.Deleted() : unexpected(line);
            case "ERR_TIMEOUT", "ERR_INTERNAL":
                return new Outcome.Info("text: " + line);
            case "ERR_CMD_ERR", "ERR_TOO_LARGE":
                return new Outcome.Fail("text: " + line);
            default:
                break;
        }
        String[] t = line.split(" ");
        if (line.startsWith("ERR_REDIRECT")) return new Outcome.Fail("text: " + line); // nothing executed
        if (t[0].equals("OK") && t.length == 2 && (call instanceof Call.Set || call instanceof Call.Cas)) {
            return new Outcome.Ok(Long.parseLong(t[1]));
        }
        if (t[0].equals("VALUE") && t.length == 2 && call instanceof Call.Get) {
            return new Outcome.Value(readValue(Integer.parseInt(t[1])), 0);
        }
        if (t[0].equals("VALUE") && t.length == 4 && call instanceof Call.GetM) {
            long version = Long.parseLong(t[1]);
            return new Outcome.Value(readValue(Integer.parseInt(t[3])), version);
        }
        return unexpected(line);
    }

    /** A reply that does not answer the command: the connection is out of step, the outcome unknown. */
    private Outcome unexpected(String line) {
        throw new IllegalStateException("\"" + line + "\"");
    }

    private String readLine() throws IOException {
        return client.line();
    }

    private String readValue(int n) throws IOException {
        return new String(client.valueBytes(n), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (client == null) return;
        try {
            client.close();
        } catch (IOException ignored) {
            // closing a broken connection; nothing more to do
        }
        client = null;
    }
}
