package raftkv.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Reads config.json (SPEC section 3): the original format as it is, which has a
 * {@code // comment} and a trailing comma, plus the optional tuning keys. Every problem is a
 * one-line {@link ConfigException} naming the file and the field.
 */
public final class ConfigLoader {

    /** The name errors give the text passed to {@link #parse(String, Path)}, which has no file. */
    public static final String INLINE_SOURCE = "config.json";

    // Duplicate keys fail rather than the last one winning, so a doubled "Id" cannot quietly
    // change which node an entry describes. An ObjectReader is immutable: safe to share.
    private static final ObjectReader READER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build()
            .reader();

    private static final Set<String> TOP_LEVEL_KEYS = Set.of("path", "servers", "heartbeatMs",
            "electionTimeoutMs", "requestTimeoutMs", "maxValueBytes", "fsync", "snapshotEntries", "walSegmentBytes",
            "forward", "testFaultInjection", "clusterName", "tls", "quotaBytes", "maxSessions", "maxConnections",
            "textBufferBytes", "inflightBytes", "catchUpLogBytes", "diskReserveBytes");
    private static final Set<String> SERVER_KEYS = Set.of("Id", "Hostname", "ClientPort", "LogPort", "HttpPort", "CertFile",
            "KeyFile");
    private static final Set<String> TLS_KEYS = Set.of("caFile", "clientCertAuth", "text");

    private ConfigLoader() {}

    /** Loads {@code file}; {@code path} is relative to the file's folder. Errors name the file as given. */
    public static ClusterConfig load(Path file) {
        String json;
        try {
            json = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + reason(e), e);
        }
        return parse(json, file.toAbsolutePath().getParent(), file.toString());
    }

    /** Parses config text whose {@code path} is relative to {@code baseDir}; errors say "config.json". */
    public static ClusterConfig parse(String json, Path baseDir) {
        return parse(json, baseDir, INLINE_SOURCE);
    }

    /** As {@link #parse(String, Path)}, with errors and warnings naming {@code source}. */
    public static ClusterConfig parse(String json, Path baseDir, String source) {
        Objects.requireNonNull(baseDir, "baseDir");
        List<String> warnings = new ArrayList<>();
        JsonFields top = JsonFields.root(source, readTree(json, source), warnings);
        top.warnUnknown(TOP_LEVEL_KEYS);
        TlsSettings tls = readTls(top, baseDir);
        List<ServerSpec> servers = readServers(top, tls != null, baseDir);
        Path dataDir = dataDir(top, baseDir);
        int heartbeatMs = top.positiveInt("heartbeatMs", ClusterConfig.DEFAULT_HEARTBEAT_MS);
        int electionTimeoutMs = top.positiveInt("electionTimeoutMs", ClusterConfig.DEFAULT_ELECTION_TIMEOUT_MS);
        // A heartbeat slower than the election timeout makes followers depose a healthy leader.
        if (heartbeatMs >= electionTimeoutMs) {
            throw top.error("heartbeatMs",
                    "must be less than electionTimeoutMs (" + electionTimeoutMs + "), got " + heartbeatMs);
        }
        int maxValueBytes = maxValueBytes(top);
        long textBufferBytes = top.positiveLong("textBufferBytes", Math.max(Limits.DEFAULT_TEXT_BUFFER_BYTES, maxValueBytes));
        // Below one value, the largest set could never be received.
        if (textBufferBytes < maxValueBytes) {
            throw top.error("textBufferBytes", "must be at least maxValueBytes (" + maxValueBytes + "), got " + textBufferBytes);
        }
        long inflightBytes = top.positiveLong("inflightBytes", Math.max(Limits.DEFAULT_INFLIGHT_BYTES, maxValueBytes));
        // Below one value, the largest set would only ever go through alone.
        if (inflightBytes < maxValueBytes) {
            throw top.error("inflightBytes", "must be at least maxValueBytes (" + maxValueBytes + "), got " + inflightBytes);
        }
        return new ClusterConfig(
                dataDir,
                servers,
                heartbeatMs,
                electionTimeoutMs,
                top.positiveInt("requestTimeoutMs", ClusterConfig.DEFAULT_REQUEST_TIMEOUT_MS),
                maxValueBytes,
                top.bool("fsync", ClusterConfig.DEFAULT_FSYNC),
                top.positiveInt("snapshotEntries", ClusterConfig.DEFAULT_SNAPSHOT_ENTRIES),
                walSegmentBytes(top),
                top.bool("forward", ClusterConfig.DEFAULT_FORWARD),
                top.bool("testFaultInjection", ClusterConfig.DEFAULT_TEST_FAULT_INJECTION),
                clusterName(top),
                new Limits(
                        top.positiveLong("quotaBytes", Limits.DEFAULT_QUOTA_BYTES),
                        top.positiveInt("maxSessions", Limits.DEFAULT_MAX_SESSIONS),
                        top.positiveInt("maxConnections", Limits.DEFAULT_MAX_CONNECTIONS),
                        textBufferBytes,
                        inflightBytes,
                        top.positiveLong("catchUpLogBytes", Limits.DEFAULT_CATCH_UP_LOG_BYTES),
                        top.positiveLong("diskReserveBytes", Limits.DEFAULT_DISK_RESERVE_BYTES)),
                warnings,
                tls);
    }

    private static String clusterName(JsonFields top) {
        JsonNode value = top.optional("clusterName");
        return value == null ? null : top.text("clusterName", value, "a non-empty name");
    }

    private static int maxValueBytes(JsonFields top) {
        int bytes = top.positiveInt("maxValueBytes", ClusterConfig.DEFAULT_MAX_VALUE_BYTES);
        if (bytes > Limits.MAX_VALUE_BYTES_CAP) {
            throw top.error("maxValueBytes", "must be at most " + Limits.MAX_VALUE_BYTES_CAP
                    + " (255 MiB: a value travels in one log record, and the log takes records of up to 256 MiB), got " + bytes);
        }
        return bytes;
    }

    private static int walSegmentBytes(JsonFields top) {
        int bytes = top.positiveInt("walSegmentBytes", ClusterConfig.DEFAULT_WAL_SEGMENT_BYTES);
        if (bytes < ClusterConfig.MIN_WAL_SEGMENT_BYTES) {
            throw top.error("walSegmentBytes", "must be at least " + ClusterConfig.MIN_WAL_SEGMENT_BYTES + ", got " + bytes);
        }
        return bytes;
    }

    private static JsonNode readTree(String json, String source) {
        // Editors on some systems save a byte order mark, which is not JSON.
        String text = json.startsWith("\uFEFF") ? json.substring(1) : json;
        try {
            return READER.readTree(text);
        } catch (JsonProcessingException e) {
            // Jackson's own message spans lines and quotes the source; keep only the reason.
            JsonLocation at = e.getLocation();
            String where = at == null || at.getLineNr() < 1 ? ""
                    : "line " + at.getLineNr() + " column " + at.getColumnNr() + ": ";
            throw new ConfigException(source + ": " + where + firstLine(e.getOriginalMessage()), e);
        }
    }

    /** The {@code "tls"} section (SPEC section 8), or null when absent: plaintext. */
    private static TlsSettings readTls(JsonFields top, Path baseDir) {
        JsonNode value = top.optional("tls");
        if (value == null) {
            return null;
        }
        JsonFields tls = top.child("tls", value);
        tls.warnUnknown(TLS_KEYS);
        return new TlsSettings(
                file(tls, "caFile", tls.require("caFile"), baseDir),
                tls.bool("clientCertAuth", TlsSettings.DEFAULT_CLIENT_CERT_AUTH),
                tls.bool("text", TlsSettings.DEFAULT_TEXT));
    }

    /**
     * A file path relative to the config's folder, made absolute. Whether the file exists is
     * checked by the node that reads it: each host holds only its own key, so a config lists
     * files that are not there on every machine.
     */
    private static Path file(JsonFields fields, String name, JsonNode value, Path baseDir) {
        String path = fields.text(name, value, "a file path");
        try {
            return baseDir.toAbsolutePath().resolve(path).normalize();
        } catch (InvalidPathException e) {
            throw fields.error(name, "not a usable file name: " + e.getReason());
        }
    }

    /** CertFile or KeyFile of a server: required with tls, ignored (with a warning) without. */
    private static Path serverFile(JsonFields entry, String name, boolean tls, Path baseDir) {
        if (!tls) {
            if (entry.optional(name) != null) entry.warn(name, "ignored without \"tls\"");
            return null;
        }
        return file(entry, name, entry.require(name, ": with \"tls\" every server needs a CertFile and a KeyFile"), baseDir);
    }

    private static List<ServerSpec> readServers(JsonFields top, boolean tls, Path baseDir) {
        JsonNode entries = top.require("servers");
        if (!entries.isArray() || entries.isEmpty()) {
            throw top.error("servers", "must be a non-empty array, got " + JsonFields.show(entries));
        }
        List<ServerSpec> servers = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        PortClaims ports = new PortClaims();
        for (int i = 0; i < entries.size(); i++) {
            String at = "servers[" + i + "]";
            JsonFields entry = top.child(at, entries.get(i));
            entry.warnUnknown(SERVER_KEYS);
            ServerSpec server = new ServerSpec(
                    entry.integer("Id", entry.require("Id"), 0, Integer.MAX_VALUE),
                    entry.hostname("Hostname", entry.require("Hostname")),
                    entry.integer("ClientPort", entry.require("ClientPort"), 1, 65535),
                    entry.integer("LogPort", entry.require("LogPort"), 1, 65535),
                    httpPort(entry),
                    serverFile(entry, "CertFile", tls, baseDir),
                    serverFile(entry, "KeyFile", tls, baseDir));
            if (!ids.add(server.id())) {
                throw entry.error("Id", "duplicate id " + server.id());
            }
            claim(ports, entry, at, "ClientPort", server.hostname(), server.clientPort());
            claim(ports, entry, at, "LogPort", server.hostname(), server.logPort());
            if (server.httpPort() != ServerSpec.NO_HTTP) claim(ports, entry, at, "HttpPort", server.hostname(), server.httpPort());
            servers.add(server);
        }
        return servers;
    }

    /** The optional "HttpPort" (SPEC 10: /metrics, /livez, /readyz), or {@link ServerSpec#NO_HTTP}. */
    private static int httpPort(JsonFields entry) {
        JsonNode value = entry.optional("HttpPort");
        return value == null ? ServerSpec.NO_HTTP : entry.integer("HttpPort", value, 1, 65535);
    }

    private static void claim(PortClaims ports, JsonFields entry, String at, String field, String host, int port) {
        String holder = ports.claim(host, port, at + "." + field);
        if (holder != null) {
            throw entry.error(field, port + " is already used by " + holder);
        }
    }

    private static Path dataDir(JsonFields top, Path baseDir) {
        JsonNode value = top.optional("path");
        String path = value == null ? ClusterConfig.DEFAULT_PATH : top.text("path", value, "a non-empty folder path");
        try {
            // Absolute, so a node that changes its working folder still finds its files.
            return baseDir.toAbsolutePath().resolve(path).normalize();
        } catch (InvalidPathException e) { // characters this file system forbids, such as ':' on Windows
            throw top.error("path", "not a usable folder name: " + e.getReason());
        }
    }

    private static String firstLine(String message) {
        if (message == null || message.isBlank()) {
            return "syntax error";
        }
        return message.strip().lines().findFirst().orElse("").strip();
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof MalformedInputException) {
            return "not UTF-8 text";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : firstLine(message);
    }
}
