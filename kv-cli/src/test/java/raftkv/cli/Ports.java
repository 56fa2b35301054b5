package raftkv.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback ports for tests. */
final class Ports {
    private Ports() {}

    /** A port on 127.0.0.1 that nothing listened on a moment ago: an endpoint that is down. */
    static int unused() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
