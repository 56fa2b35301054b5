package raftkv.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * The tests' one client of the text protocol (SPEC section 4): writes bytes, reads reply lines
 * and values. Every read has a deadline (the socket's timeout), so a reply that never comes fails
 * the test (SocketTimeoutException) instead of hanging it. Text is ISO-8859-1: one char per byte.
 */
public final class TextClient implements AutoCloseable {
    /** The connect and read timeout of {@link #connect(int)}. */
    public static final int DEFAULT_TIMEOUT_MS = 20_000;
    /** A longer reply line means the server (or the client) is out of step. */
    public static final int MAX_LINE_BYTES = 64 * 1024;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private TextClient(Socket socket, int timeoutMs) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(timeoutMs);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
    }

    /** Connects to {@code port} on 127.0.0.1, with the default timeout. */
    public static TextClient connect(int port) throws IOException {
        return connect("127.0.0.1", port, DEFAULT_TIMEOUT_MS);
    }

    /** Connects to {@code host:port}; {@code timeoutMs} bounds the connect and every read. */
    public static TextClient connect(String host, int port, int timeoutMs) throws IOException {
        return connect(host, port, timeoutMs, 0);
    }

    /**
     * As {@link #connect(String, int, int)}; {@code receiveBuffer} above 0 shrinks the socket's
     * receive buffer, so that a client that does not read stalls the server sooner.
     */
    public static TextClient connect(String host, int port, int timeoutMs, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        try {
            if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
            s.connect(new InetSocketAddress(host, port), timeoutMs);
            return new TextClient(s, timeoutMs);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Over a socket already connected (a TLS one, say). */
    public static TextClient over(Socket connected, int timeoutMs) throws IOException {
        return new TextClient(connected, timeoutMs);
    }

    public Socket socket() {
        return socket;
    }

    public TextClient send(String latin1) throws IOException {
        return send(latin1.getBytes(StandardCharsets.ISO_8859_1));
    }

    public TextClient send(byte[] data) throws IOException {
        out.write(data);
        out.flush();
        return this;
    }

    /** One reply line, without its "\r\n" (which must be there); at most {@value #MAX_LINE_BYTES} bytes. */
    public String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            if (line.size() > MAX_LINE_BYTES) throw new IOException("reply line over " + MAX_LINE_BYTES + " bytes");
            int b = read();
            if (b == '\r') {
                int next = read();
                if (next != '\n') throw new IOException("'\\r' not followed by '\\n' after " + line);
                return line.toString(StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
    }

    /** Sends {@code command} and reads one reply line. */
    public String call(String command) throws IOException {
        send(command);
        return line();
    }

    /** Sends {@code command} and reads one reply line; null if none comes within the timeout. */
    public String replyOrNull(String command) throws IOException {
        send(command);
        try {
            return line();
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    /** True if {@code command} gets no reply within the timeout. */
    public boolean timesOut(String command) throws IOException {
        return replyOrNull(command) == null;
    }

    /** Reads a {@code VALUE ...} reply whose last field is the value's length; returns the header and the value. */
    public String[] value() throws IOException {
        String header = line();
        if (!header.startsWith("VALUE ")) throw new IOException("expected VALUE, got " + header);
        int n = Integer.parseInt(header.substring(header.lastIndexOf(' ') + 1));
        return new String[] {header, new String(valueBytes(n), StandardCharsets.ISO_8859_1)};
    }

    /** {@code n} value bytes, which must be followed by "\r\n". */
    public byte[] valueBytes(int n) throws IOException {
        byte[] value = in.readNBytes(n);
        if (value.length != n || read() != '\r' || read() != '\n') throw new IOException("bad value framing");
        return value;
    }

    /** {@code set key 0 <n>} with {@code value}; the reply line. */
    public String set(String key, String value) throws IOException {
        return call("set " + key + " 0 " + value.length() + "\r\n" + value + "\r\n");
    }

    /** {@code get key}: the value, or the reply line prefixed with "!" if it is not a value. */
    public String get(String key) throws IOException {
        String line = call("get " + key + "\r\n");
        if (!line.startsWith("VALUE ")) return "!" + line;
        int n = Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1));
        return new String(valueBytes(n), StandardCharsets.ISO_8859_1);
    }

    /** True once the server has closed the connection (end of stream), false if a byte came instead. */
    public boolean atEof() throws IOException {
        return in.read() == -1;
    }

    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    private int read() throws IOException {
        int b = in.read();
        if (b < 0) throw new EOFException("connection closed by the server");
        return b;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
