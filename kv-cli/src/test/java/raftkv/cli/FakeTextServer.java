package raftkv.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** A fake text-protocol node for tests: set and get only, one thread per connection, on 127.0.0.1. */
final class FakeTextServer implements AutoCloseable {
    private final ServerSocket server;
    private final Map<String, byte[]> data = new ConcurrentHashMap<>();
    private final AtomicLong versions = new AtomicLong();
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    FakeTextServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        acceptor = new Thread(this::accept, "fake-text-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String endpoint() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    int connectionsAccepted() {
        return connections.size();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.add(s);
                Thread t = new Thread(() -> serve(s), "fake-text-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = new BufferedInputStream(s.getInputStream());
             OutputStream out = new java.io.BufferedOutputStream(s.getOutputStream())) {
            s.setTcpNoDelay(true);
            while (true) {
                String line = readLine(in);
                if (line == null) return;
                String[] t = line.split(" ");
                if (t[0].equals("set") && t.length == 4) {
                    byte[] value = in.readNBytes(Integer.parseInt(t[3]));
                    in.readNBytes(2);
                    data.put(t[1], value);
                    out.write(("OK " + versions.incrementAndGet() + "\r\n").getBytes(StandardCharsets.US_ASCII));
                } else if (t[0].equals("get") && t.length == 2) {
                    byte[] value = data.get(t[1]);
                    if (value == null) {
                        out.write("ERR_NOT_FOUND\r\n".getBytes(StandardCharsets.US_ASCII));
                    } else {
                        out.write(("VALUE " + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(value);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                } else {
                    out.write("ERR_CMD_ERR\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // the client went away, or the test closed the server
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) return null;
            if (b == '\n') break;
            line.write(b);
        }
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : connections) s.close();
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
