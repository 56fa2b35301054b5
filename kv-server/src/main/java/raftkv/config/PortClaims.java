package raftkv.config;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The ports taken so far, per host, to catch two listeners on one host and port before any
 * node tries to bind. Hosts are compared by name only: no DNS, so loading a config never
 * blocks or depends on the network. Two other names for one machine go unnoticed here, and
 * the second bind fails at start with its own clear line instead.
 */
final class PortClaims {

    private record HostPort(String host, int port) {}

    private record Claim(String field, String hostname) {}

    private final Map<HostPort, Claim> claims = new HashMap<>();

    /**
     * Takes {@code port} on {@code hostname} for {@code field}; returns who already holds it
     * ("servers[0].LogPort on localhost"), or null when it was free.
     */
    String claim(String hostname, int port, String field) {
        Claim earlier = claims.putIfAbsent(new HostPort(hostKey(hostname), port), new Claim(field, hostname));
        if (earlier == null) {
            return null;
        }
        String sameHost = earlier.hostname().equals(hostname) ? "" : " (the same host as " + hostname + ")";
        return earlier.field() + " on " + earlier.hostname() + sameHost;
    }

    // The original configs say "localhost"; people write 127.0.0.1 for the same loopback.
    private static String hostKey(String hostname) {
        String host = hostname.toLowerCase(Locale.ROOT);
        return host.equals("127.0.0.1") ? "localhost" : host;
    }
}
