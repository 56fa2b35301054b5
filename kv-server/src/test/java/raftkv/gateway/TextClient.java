package raftkv.gateway;

import static raftkv.gateway.Bytes.bytes;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A blocking test client for the text protocol. Every read has a deadline (SO_TIMEOUT): a reply
 * that never comes fails the test instead of hanging it.
 */
final class TextClient implements AutoCloseable {
    static final int READ_TIMEOUT_MS = 20_000;

    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    TextClient(int port) throws IOException {
        this(port, 0);
    }

    /** {@code receiveBuffer} > 0 shrinks the socket's receive buffer, so a client that does not read stalls sooner. */
    TextClient(int port, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MS);
        socket.setSoTimeout(READ_TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
    }

    TextClient send(String latin1) throws IOException {
        return send(bytes(latin1));
    }

    TextClient send(byte[] data) throws IOException {
        out.write(data);
        out.flush();
        return this;
    }

    /** One reply line, without its "\r\n" (which must be there). */
    String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = read();
            if (b == '\r') {
                int next = read();
                if (next != '\n') {
                    throw new IOException("'\\r' not followed by '\\n' after " + line);
                }
                return line.toString(StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
    }

    /** Reads a {@code VALUE <n>} (or {@code VALUE <version> <exptime> <n>}) reply; returns the header and value. */
    String[] value() throws IOException {
        String header = line();
        if (!header.startsWith("VALUE ")) {
            throw new IOException("expected VALUE, got " + header);
        }
        int n = Integer.parseInt(header.substring(header.lastIndexOf(' ') + 1));
        byte[] value = in.readNBytes(n);
        if (value.length != n || read() != '\r' || read() != '\n') {
            throw new IOException("bad value framing after " + header);
        }
        return new String[] {header, new String(value, StandardCharsets.ISO_8859_1)};
    }

    /** True once the server has closed the connection (EOF), false if a byte came instead. */
    boolean atEof() throws IOException {
        return in.read() == -1;
    }

    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    private int read() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("connection closed by the server");
        }
        return b;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
