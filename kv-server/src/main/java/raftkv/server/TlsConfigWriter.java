package raftkv.server;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import raftkv.config.ClusterConfig;
import raftkv.config.ConfigLoader;

/**
 * {@code scripts/certs --write-config OUT}: a copy of a config with TLS turned on (SPEC section
 * 8): a {@code "tls"} section naming the CA, and each server's {@code CertFile} and
 * {@code KeyFile} as {@code scripts/certs} names them ({@code node-<Id>.crt}, {@code .key}).
 * Paths in the copy, {@code path} included, are relative to the copy's folder, so it works
 * wherever it is written. Every other key is kept; {@code // comments} are not (JSON has none).
 */
final class TlsConfigWriter {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private TlsConfigWriter() {}

    /** Writes the copy of {@code source} to {@code target}, its certificates in {@code certDir}. */
    static void write(Path source, Path target, Path certDir) throws IOException {
        ClusterConfig checked = ConfigLoader.load(source); // a bad config fails here, with its field named
        ObjectNode root = (ObjectNode) MAPPER.readTree(stripBom(Files.readString(source)));
        Path base = target.toAbsolutePath().getParent();
        root.put("path", relative(base, checked.dataDir()));
        ObjectNode tls = root.has("tls") && root.get("tls").isObject() ? (ObjectNode) root.get("tls") : MAPPER.createObjectNode();
        tls.put("caFile", relative(base, certDir.resolve("ca.crt")));
        if (!tls.has("clientCertAuth")) tls.put("clientCertAuth", false);
        if (!tls.has("text")) tls.put("text", false);
        root.set("tls", tls);
        for (JsonNode server : root.get("servers")) {
            ObjectNode s = (ObjectNode) server;
            int id = s.get("Id").intValue();
            s.put("CertFile", relative(base, certDir.resolve("node-" + id + ".crt")));
            s.put("KeyFile", relative(base, certDir.resolve("node-" + id + ".key")));
        }
        Files.writeString(target, MAPPER.writeValueAsString(root) + "\n");
        ConfigLoader.load(target); // what we wrote must load
    }

    private static String relative(Path base, Path file) {
        return base.relativize(file.toAbsolutePath().normalize()).toString().replace('\\', '/');
    }

    private static String stripBom(String text) {
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }
}
