package raftkv.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One server entry of config.json. The text protocol listens on {@code clientPort}, gRPC
 * (Raft peers and the client service) on {@code logPort}.
 *
 * @param certFile absolute path of the node's PEM certificate ({@code "CertFile"}), or null: set for
 *                 every server when the config has {@code "tls"} (SPEC section 8), null otherwise
 * @param keyFile  absolute path of the node's PEM private key ({@code "KeyFile"}), or null with certFile
 */
public record ServerSpec(int id, String hostname, int clientPort, int logPort, Path certFile, Path keyFile) {

    public ServerSpec {
        Objects.requireNonNull(hostname, "hostname");
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("server " + id + ": CertFile and KeyFile go together");
        }
    }

    /** A server of a plaintext cluster: no certificate. */
    public ServerSpec(int id, String hostname, int clientPort, int logPort) {
        this(id, hostname, clientPort, logPort, null, null);
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
