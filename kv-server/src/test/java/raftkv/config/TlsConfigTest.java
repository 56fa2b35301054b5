package raftkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.config.ConfigJson.config;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SPEC 8: the "tls" section and each server's CertFile and KeyFile. */
class TlsConfigTest {

    private static final Path BASE = Path.of("/srv/raftkv");
    private static final String TLS = "\"tls\": {\"caFile\": \"certs/ca.crt\"}";

    private static String server(int id, String extra) {
        return "{\"Id\": %d, \"Hostname\": \"localhost\", \"ClientPort\": %d, \"LogPort\": %d%s}"
                .formatted(id, 8000 + id, 9000 + id, extra);
    }

    private static String withFiles(int id) {
        return server(id, ", \"CertFile\": \"certs/node-%d.crt\", \"KeyFile\": \"certs/node-%d.key\"".formatted(id, id));
    }

    @Test
    void withoutTlsTheConfigIsPlaintext() {
        ClusterConfig config = ConfigLoader.parse(config("", server(0, "")), BASE);

        assertFalse(config.tlsEnabled());
        assertNull(config.tls());
        assertNull(config.server(0).certFile());
    }

    @Test
    void tlsPathsAreRelativeToTheConfigFolderAndFlagsDefaultToFalse() {
        ClusterConfig config = ConfigLoader.parse(config(TLS, withFiles(0), withFiles(1)), BASE);

        assertEquals(new TlsSettings(Path.of("/srv/raftkv/certs/ca.crt"), false, false), config.tls());
        assertEquals(Path.of("/srv/raftkv/certs/node-1.crt"), config.server(1).certFile());
        assertEquals(Path.of("/srv/raftkv/certs/node-1.key"), config.server(1).keyFile());
        assertEquals(List.of(), config.warnings());
    }

    @Test
    void absolutePathsAndBothFlags() {
        String tls = "\"tls\": {\"caFile\": \"/etc/raftkv/ca.pem\", \"clientCertAuth\": true, \"text\": true}";

        ClusterConfig config = ConfigLoader.parse(config(tls, withFiles(0)), BASE);

        assertEquals(new TlsSettings(Path.of("/etc/raftkv/ca.pem"), true, true), config.tls());
    }

    @Test
    void tlsMustBeAnObject() {
        assertRejected("config.json: tls: must be an object, got true", config("\"tls\": true", withFiles(0)));
    }

    @Test
    void caFileIsRequired() {
        assertRejected("config.json: tls.caFile: missing", config("\"tls\": {\"text\": true}", withFiles(0)));
    }

    @Test
    void caFileMustBeAPath() {
        assertRejected("config.json: tls.caFile: must be a file path, got \"\"",
                config("\"tls\": {\"caFile\": \"\"}", withFiles(0)));
        assertRejected("config.json: tls.caFile: must be a file path, got 7",
                config("\"tls\": {\"caFile\": 7}", withFiles(0)));
    }

    @Test
    void flagsMustBeBooleans() {
        assertRejected("config.json: tls.clientCertAuth: must be true or false, got \"yes\"",
                config("\"tls\": {\"caFile\": \"ca.crt\", \"clientCertAuth\": \"yes\"}", withFiles(0)));
        assertRejected("config.json: tls.text: must be true or false, got 1",
                config("\"tls\": {\"caFile\": \"ca.crt\", \"text\": 1}", withFiles(0)));
    }

    @Test
    void everyServerNeedsACertificateAndAKeyWithTls() {
        assertRejected("config.json: servers[1].CertFile: missing: with \"tls\" every server needs a CertFile and a KeyFile",
                config(TLS, withFiles(0), server(1, "")));
        assertRejected("config.json: servers[0].KeyFile: missing: with \"tls\" every server needs a CertFile and a KeyFile",
                config(TLS, server(0, ", \"CertFile\": \"a.crt\"")));
    }

    @Test
    void fieldNamesAreCaseSensitive() {
        assertRejected("config.json: servers[0].CertFile: missing (found \"certFile\"; field names are case-sensitive)",
                config(TLS, server(0, ", \"certFile\": \"a.crt\", \"KeyFile\": \"a.key\"")));
    }

    @Test
    void serverFilesMustBePaths() {
        assertRejected("config.json: servers[0].KeyFile: must be a file path, got \" a.key\"",
                config(TLS, server(0, ", \"CertFile\": \"a.crt\", \"KeyFile\": \" a.key\"")));
    }

    @Test
    void unknownTlsKeyIsAWarning() {
        String tls = "\"tls\": {\"caFile\": \"ca.crt\", \"certFile\": \"x\"}";

        ClusterConfig config = ConfigLoader.parse(config(tls, withFiles(0)), BASE);

        assertEquals(List.of("config.json: tls.certFile: unknown key, ignored"), config.warnings());
    }

    @Test
    void serverFilesWithoutTlsAreIgnoredWithAWarning() {
        ClusterConfig config = ConfigLoader.parse(config("", withFiles(0)), BASE);

        assertNull(config.server(0).certFile());
        assertEquals(List.of("config.json: servers[0].CertFile: ignored without \"tls\"",
                "config.json: servers[0].KeyFile: ignored without \"tls\""), config.warnings());
    }

    @Test
    void aConfigWithTlsButACertlessServerCannotBeBuilt() {
        // The loader names the field; this guards the record against other builders.
        assertThrows(IllegalArgumentException.class, () -> new ClusterConfig(BASE, List.of(new ServerSpec(0, "h", 1, 2)),
                100, 1000, 15000, 1 << 20, true, 100000, 1 << 26, true, false, null, Limits.DEFAULTS, List.of(),
                new TlsSettings(BASE.resolve("ca.crt"), false, false)));
    }

    private static void assertRejected(String message, String json) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(json, BASE));
        assertEquals(message, e.getMessage());
        assertTrue(e.getMessage().startsWith("config.json: "));
    }
}
