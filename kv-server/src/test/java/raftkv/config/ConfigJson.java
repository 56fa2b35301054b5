package raftkv.config;

import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** Builds config.json text for tests, so each test shows only what it is about. */
final class ConfigJson {

    private ConfigJson() {}

    static String server(int id, String hostname, int clientPort, int logPort) {
        return "{\"Id\": %d, \"Hostname\": \"%s\", \"ClientPort\": %d, \"LogPort\": %d}"
                .formatted(id, hostname, clientPort, logPort);
    }

    /** Servers 0..n-1 on localhost, ClientPort 8000+i, LogPort 9000+i, as in the original. */
    static String[] localServers(int n) {
        return IntStream.range(0, n).mapToObj(i -> server(i, "localhost", 8000 + i, 9000 + i))
                .toArray(String[]::new);
    }

    /** A config with these server entries, and {@code extra} top-level members (may be ""). */
    static String config(String extra, String... servers) {
        String list = Arrays.stream(servers).collect(Collectors.joining(",\n    ", "[\n    ", "\n]"));
        return "{\n" + (extra.isEmpty() ? "" : extra + ",\n") + "\"servers\": " + list + "\n}\n";
    }

    /** Three valid local servers plus the given top-level members. */
    static String withTopLevel(String extra) {
        return config(extra, localServers(3));
    }
}
