package raftkv.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import raftkv.config.ServerSpec;

/** A raw client of the text protocol for tests: writes bytes, reads reply lines and values with a timeout. */
final class TextClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    TextClient(ServerSpec server, int timeoutMs) throws IOException {
        this(plain(server, timeoutMs), timeoutMs);
    }

    /** Over a socket already connected: a TLS one, say. */
    TextClient(Socket socket, int timeoutMs) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(timeoutMs);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    private static Socket plain(ServerSpec server, int timeoutMs) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(server.hostname(), server.clientPort()), timeoutMs);
        return s;
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** One reply line without its line ending; throws SocketTimeoutException if none comes in time. */
    String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) throw new IOException("connection closed after " + line);
            if (b == '\n') break;
            line.write(b);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** {@code n} value bytes followed by \r\n. */
    byte[] readValue(int n) throws IOException {
        byte[] value = in.readNBytes(n);
        if (value.length != n) throw new IOException("short value");
        if (in.read() != '\r' || in.read() != '\n') throw new IOException("value not followed by \\r\\n");
        return value;
    }

    /** Sends a command and reads one line. */
    String call(String command) throws IOException {
        send(command);
        return readLine();
    }

    /** set, returning the reply line. */
    String set(String key, String value) throws IOException {
        return call("set " + key + " 0 " + value.length() + "\r\n" + value + "\r\n");
    }

    /** get: the value, or the error line prefixed with "!" */
    String get(String key) throws IOException {
        String line = call("get " + key + "\r\n");
        if (!line.startsWith("VALUE ")) return "!" + line;
        int n = Integer.parseInt(line.substring(6).trim());
        return new String(readValue(n), StandardCharsets.ISO_8859_1);
    }

    boolean timesOut(String command) throws IOException {
        return replyOrNull(command) == null;
    }

    /** Sends a command and reads one line; null if none comes within the timeout. */
    String replyOrNull(String command) throws IOException {
        send(command);
        try {
            return readLine();
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
