package raftkv.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One server entry of config.json. The text protocol listens on {@code clientPort}, gRPC
 * (Raft peers and the client service) on {@code logPort}, and, where {@code httpPort} is not
 * {@link #NO_HTTP}, the HTTP endpoints (/metrics, /livez, /readyz) on {@code httpPort}.
 *
 * @param certFile absolute path of the node's PEM certificate ({@code "CertFile"}), or null: set for
 *                 every server when the config has {@code "tls"} (SPEC section 8), null otherwise
 * @param keyFile  absolute path of the node's PEM private key ({@code "KeyFile"}), or null with certFile
 */
public record ServerSpec(int id, String hostname, int clientPort, int logPort, int httpPort, Path certFile, Path keyFile) {
    /** The optional "HttpPort" was not given: no HTTP endpoints. */
    public static final int NO_HTTP = 0;

    public ServerSpec {
        Objects.requireNonNull(hostname, "hostname");
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("server " + id + ": CertFile and KeyFile go together");
        }
    }

    /** A server of a plaintext cluster without HTTP endpoints. */
    public ServerSpec(int id, String hostname, int clientPort, int logPort) {
        this(id, hostname, clientPort, logPort, NO_HTTP);
    }

    /** A server of a plaintext cluster: no certificate. */
    public ServerSpec(int id, String hostname, int clientPort, int logPort, int httpPort) {
        this(id, hostname, clientPort, logPort, httpPort, null, null);
    }

    /** {@code host:port} of the text protocol. */
    public String clientAddress() {
        return address(clientPort);
    }

    /** {@code host:port} of the gRPC services, as a gRPC target. */
    public String logAddress() {
        return address(logPort);
    }

    private String address(int port) {
        // An IPv6 literal needs brackets, or its colons would run into the port.
        boolean bareIpv6 = hostname.indexOf(':') >= 0 && !hostname.startsWith("[");
        return (bareIpv6 ? "[" + hostname + "]" : hostname) + ":" + port;
    }
}
