package raftkv.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A server address, {@code host:port}. An IPv6 literal is written in brackets,
 * {@code [::1]:9000}, as config.json's addresses and the {@code raftkv-leader} hint are.
 *
 * @param host a name or an address, without brackets
 */
public record Endpoint(String host, int port) {

    public Endpoint {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) throw new IllegalArgumentException("empty host");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " is not in 1-65535");
    }

    /** Parses {@code host:port}; IllegalArgumentException with a one-line reason if it is not one. */
    public static Endpoint parse(String text) {
        String s = text.strip();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("\"" + text + "\" is not host:port");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || s.indexOf(':') != colon) {
                throw new IllegalArgumentException("\"" + text + "\" is not host:port (write an IPv6 address as [addr]:port)");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\" has no valid port");
        }
        if (host.isEmpty() || p < 1 || p > 65535) {
            throw new IllegalArgumentException("\"" + text + "\" is not host:port with a port in 1-65535");
        }
        return new Endpoint(host, p);
    }

    /** Parses a comma-separated list; blanks between commas are skipped, an empty list is an error. */
    public static List<Endpoint> parseList(String text) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) endpoints.add(parse(part));
        }
        if (endpoints.isEmpty()) throw new IllegalArgumentException("no endpoint in \"" + text + "\"");
        return List.copyOf(endpoints);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
