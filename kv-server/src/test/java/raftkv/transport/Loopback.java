package raftkv.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback addresses for tests: free ports, and a peer that accepts connections but never speaks. */
final class Loopback {
    static final String HOST = "127.0.0.1";

    private Loopback() {}

    /** A port nothing listens on right now (bound once, then released). */
    static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String target(int port) {
        return HOST + ":" + port;
    }

    /**
     * A listening socket that never accepts: the kernel completes TCP connections to it, but no
     * HTTP/2 handshake ever comes back, so calls to it hang until their deadline.
     */
    static ServerSocket blackHole() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0), 50);
        return s;
    }
}
