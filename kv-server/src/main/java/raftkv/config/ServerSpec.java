package raftkv.config;

import java.util.Objects;

/**
 * One server entry of config.json. The text protocol listens on {@code clientPort}, gRPC
 * (Raft peers and the client service) on {@code logPort}.
 */
public record ServerSpec(int id, String hostname, int clientPort, int logPort) {

    public ServerSpec {
        Objects.requireNonNull(hostname, "hostname");
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
