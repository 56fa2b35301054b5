package raftkv.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The servers of a cluster's config.json, read as leniently as the server reads the file
 * ({@code // comments} and trailing commas allowed, SPEC section 3). kvctl needs only the
 * addresses; the server validates the rest when it starts.
 */
public final class ClusterFile {
    /** One entry of {@code servers}. */
    public record Server(long id, String hostname, int clientPort, int logPort) {
        public Endpoint grpcEndpoint() {
            return new Endpoint(bare(hostname), logPort);
        }

        public Endpoint textEndpoint() {
            return new Endpoint(bare(hostname), clientPort);
        }

        // The server accepts an IPv6 literal with or without brackets.
        private static String bare(String host) {
            return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        }
    }

    private static final ObjectReader READER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA)
            .build()
            .reader();

    private ClusterFile() {}

    /** The servers of {@code file} in file order; a {@link UsageException} naming the file and field if unusable. */
    public static List<Server> servers(Path file) {
        JsonNode root = read(file);
        return servers(file, root == null ? null : root.get("servers"));
    }

    private static JsonNode read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new UsageException(file + ": no such file");
        } catch (IOException e) {
            throw new UsageException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        JsonNode root;
        try {
            root = READER.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ": ";
            String why = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage().strip().lines().findFirst().orElse("");
            throw new UsageException(file + ": " + where + why, e);
        }
        return root;
    }

    private static List<Server> servers(Path file, JsonNode entries) {
        if (entries == null || !entries.isArray() || entries.isEmpty()) {
            throw new UsageException(file + ": \"servers\" must be a non-empty array");
        }
        List<Server> servers = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            JsonNode e = entries.get(i);
            String at = file + ": servers[" + i + "]";
            JsonNode host = e.get("Hostname");
            if (host == null || !host.isTextual() || host.asText().isBlank()) {
                throw new UsageException(at + ".Hostname must be a non-empty string");
            }
            servers.add(new Server(integer(e, "Id", at, 0, Long.MAX_VALUE), host.asText().strip(),
                    (int) integer(e, "ClientPort", at, 1, 65535), (int) integer(e, "LogPort", at, 1, 65535)));
        }
        return List.copyOf(servers);
    }

    /**
     * The {@code tls.caFile} of {@code file}, resolved against the file's folder, or null when the
     * config has no {@code tls} (SPEC section 8). kvctl then dials the cluster over TLS.
     */
    public static Path caFile(Path file) {
        JsonNode root = read(file);
        JsonNode tls = root == null ? null : root.get("tls");
        if (tls == null || tls.isNull()) return null;
        JsonNode ca = tls.get("caFile");
        if (!tls.isObject() || ca == null || !ca.isTextual() || ca.asText().isBlank()) {
            throw new UsageException(file + ": tls.caFile must name the CA certificate file");
        }
        return file.toAbsolutePath().getParent().resolve(ca.asText().strip()).normalize();
    }

    private static long integer(JsonNode entry, String field, String at, long min, long max) {
        JsonNode n = entry.get(field);
        if (n == null || !n.canConvertToExactIntegral() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw new UsageException(at + "." + field + " must be an integer in " + min + "-" + max);
        }
        return n.asLong();
    }
}
