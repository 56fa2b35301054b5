package raftkv.cli.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import raftkv.cli.Endpoint;

/**
 * A benchmark client over the text protocol (SPEC section 4): one connection, one command at
 * a time, to its endpoint. A node that refuses the connection is skipped for the next endpoint
 * (nothing was sent, so that is safe; each skip counts as a retry). If an open connection fails,
 * the operation counts as an error (the text protocol has no request id, so a write is never
 * resent) and the next operation connects to the next endpoint. A reply that does not come within
 * the timeout is a timeout, and the connection is dropped since its replies are no longer in step.
 */
final class TextBenchClient implements BenchClient {
    private static final int MAX_LINE = 4096;

    private final List<Endpoint> endpoints;
    private final int timeoutMs;
    private final LongAdder retries;
    private int next;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    /** @param first index of the endpoint to connect to first; clients spread over the nodes */
    TextBenchClient(List<Endpoint> endpoints, int first, Duration timeout, LongAdder retries) {
        this.endpoints = List.copyOf(endpoints);
        this.retries = retries;
        this.next = Math.floorMod(first, endpoints.size());
        this.timeoutMs = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    }

    @Override
    public BenchOutcome set(String key, byte[] value) {
        byte[] head = ("set " + key + " 0 " + value.length + "\r\n").getBytes(StandardCharsets.UTF_8);
        return exchange(() -> {
            out.write(head);
            out.write(value);
            out.write('\r');
            out.write('\n');
            out.flush();
            String reply = readLine();
            return reply.startsWith("OK ") ? BenchOutcome.OK : errorReply(reply);
        });
    }

    @Override
    public BenchOutcome get(String key) {
        byte[] command = ("get " + key + "\r\n").getBytes(StandardCharsets.UTF_8);
        return exchange(() -> {
            out.write(command);
            out.flush();
            String reply = readLine();
            if (!reply.startsWith("VALUE ")) return errorReply(reply);
            int n = Integer.parseInt(reply.substring("VALUE ".length()));
            skip(n + 2L); // the value and its \r\n
            return BenchOutcome.OK;
        });
    }

    private interface Exchange {
        BenchOutcome run() throws IOException;
    }

    private BenchOutcome exchange(Exchange exchange) {
        try {
            if (socket == null && !connectToAny()) return BenchOutcome.error("connection refused");
            return exchange.run();
        } catch (SocketTimeoutException e) {
            disconnect();
            return BenchOutcome.timeout("no reply in time");
        } catch (IOException | NumberFormatException e) {
            disconnect();
            return BenchOutcome.error("connection");
        }
    }

    private BenchOutcome errorReply(String reply) {
        String kind = reply.split(" ", 2)[0];
        return switch (kind) {
            case "ERR_NOT_FOUND" -> BenchOutcome.NOT_FOUND;
            case "ERR_TIMEOUT" -> BenchOutcome.timeout(kind);
            case "ERR_INTERNAL", "ERR_CMD_ERR", "ERR_TOO_LARGE", "ERR_REDIRECT", "ERR_VERSION" -> BenchOutcome.error(kind);
            default -> {
                disconnect(); // not a reply we know: the connection may be out of step
                yield BenchOutcome.error("unexpected reply");
            }
        };
    }

    /** Tries each endpoint once, from the next in turn; false if none accepted a connection. */
    private boolean connectToAny() {
        for (int i = 0; i < endpoints.size(); i++) {
            try {
                connect();
                return true;
            } catch (IOException refused) {
                retries.increment();
            }
        }
        return false;
    }

    private void connect() throws IOException {
        Endpoint e = endpoints.get(next);
        next = (next + 1) % endpoints.size();
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(e.host(), e.port()), timeoutMs);
            s.setSoTimeout(timeoutMs);
            in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
            socket = s;
        } catch (IOException failed) {
            s.close();
            throw failed;
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(32);
        while (true) {
            int b = in.read();
            if (b < 0) throw new EOFException("connection closed");
            if (b == '\n') break;
            if (line.size() >= MAX_LINE) throw new IOException("reply line too long");
            line.write(b);
        }
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private void skip(long n) throws IOException {
        long left = n;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) throw new EOFException("connection closed in a value");
                skipped = 1;
            }
            left -= skipped;
        }
    }

    private void disconnect() {
        if (socket == null) return;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a broken connection; the next operation opens a new one
        }
        socket = null;
        in = null;
        out = null;
    }

    @Override
    public void close() {
        disconnect();
    }
}
