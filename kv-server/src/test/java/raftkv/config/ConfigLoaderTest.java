package raftkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.config.ConfigJson.config;
import static raftkv.config.ConfigJson.localServers;
import static raftkv.config.ConfigJson.server;
import static raftkv.config.ConfigJson.withTopLevel;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Loading: the original files as they are, defaults, overrides, paths and warnings. */
class ConfigLoaderTest {

    @TempDir
    Path tmp;

    // SPEC 3: the original files, one with a // comment and one with a trailing comma, load unchanged.
    @ParameterizedTest
    @ValueSource(strings = {"original-readme-config.json", "original-config-trailing-comma.json"})
    void originalFilesLoadAsTheyAre(String name) throws URISyntaxException {
        Path file = fixture(name);

        ClusterConfig config = ConfigLoader.load(file);

        assertEquals(5, config.servers().size());
        for (int id = 0; id < 5; id++) {
            ServerSpec server = config.servers().get(id);
            assertEquals(new ServerSpec(id, "localhost", 8000 + id, 9000 + id), server);
            assertEquals("localhost:" + (8000 + id), server.clientAddress());
            assertEquals("localhost:" + (9000 + id), server.logAddress());
        }
        // "..." is an ordinary folder name, taken relative to the config file's folder.
        assertEquals(file.getParent().resolve("..."), config.dataDir());
        assertEquals(file.getParent().resolve("...").resolve("node-3"), config.nodeDir(3));
        assertEquals(List.of(), config.warnings());
    }

    @Test
    void originalFilesAreReallyLenientJson() throws Exception {
        assertTrue(Files.readString(fixture("original-readme-config.json")).contains("// Unused for now"));
        assertTrue(Files.readString(fixture("original-config-trailing-comma.json"))
                .matches("(?s).*9004},\\s*].*"));
    }

    @Test
    void repositoryRootConfigIsTheOriginalLayoutWithDataFolder() {
        Path file = repositoryRoot().resolve("config.json");

        ClusterConfig config = ConfigLoader.load(file);

        assertEquals(List.of(0, 1, 2, 3, 4), config.servers().stream().map(ServerSpec::id).toList());
        for (ServerSpec server : config.servers()) {
            assertEquals("localhost", server.hostname());
            assertEquals(8000 + server.id(), server.clientPort());
            assertEquals(9000 + server.id(), server.logPort());
        }
        assertEquals(repositoryRoot().resolve("data"), config.dataDir());
        assertEquals(List.of(), config.warnings());
    }

    @Test
    void optionalKeysDefaultAsSpecified() {
        ClusterConfig config = ConfigLoader.parse(config("", localServers(1)), tmp);

        assertEquals(tmp.resolve("data"), config.dataDir());
        assertEquals(100, config.heartbeatMs());
        assertEquals(1000, config.electionTimeoutMs());
        assertEquals(15000, config.requestTimeoutMs());
        assertEquals(1048576, config.maxValueBytes());
        assertTrue(config.fsync());
        assertEquals(100000, config.snapshotEntries());
        assertEquals(64 << 20, config.walSegmentBytes());
        assertTrue(config.forward());
        assertFalse(config.testFaultInjection());
        assertEquals(new Limits(256L << 20, 100_000, 10_000, 128L << 20, 64L << 20, 64L << 20, 4L << 20), config.limits());
        assertEquals(List.of(), config.warnings());
        assertEquals(ClusterConfig.withDefaults(tmp.resolve("data"), config.servers()), config);
    }

    @Test
    void everyOptionalKeyCanBeOverridden() {
        String json = withTopLevel("""
                "path": "state", "heartbeatMs": 50, "electionTimeoutMs": 600, "requestTimeoutMs": 2000,
                "maxValueBytes": 4096, "fsync": false, "snapshotEntries": 7, "forward": false,
                "walSegmentBytes": 1048576, "testFaultInjection": true, "quotaBytes": 3000000000,
                "maxSessions": 10, "maxConnections": 20, "textBufferBytes": 4096,
                "inflightBytes": 8192, "catchUpLogBytes": 100000, "diskReserveBytes": 5000""");

        ClusterConfig config = ConfigLoader.parse(json, tmp);

        assertEquals(tmp.resolve("state"), config.dataDir());
        assertEquals(50, config.heartbeatMs());
        assertEquals(600, config.electionTimeoutMs());
        assertEquals(2000, config.requestTimeoutMs());
        assertEquals(4096, config.maxValueBytes());
        assertFalse(config.fsync());
        assertEquals(7, config.snapshotEntries());
        assertEquals(1048576, config.walSegmentBytes());
        assertFalse(config.forward());
        assertTrue(config.testFaultInjection());
        assertEquals(new Limits(3_000_000_000L, 10, 20, 4096, 8192, 100_000, 5000), config.limits());
        assertEquals(List.of(), config.warnings());
    }

    // The fault hook is for tests only: it must be asked for by name, and only true turns it on.
    @Test
    void testFaultInjectionIsOffUnlessSetToTrue() {
        assertFalse(ConfigLoader.parse(withTopLevel("\"testFaultInjection\": false"), tmp).testFaultInjection());
        assertFalse(ConfigLoader.parse(withTopLevel("\"forward\": true"), tmp).testFaultInjection());

        ClusterConfig misspelt = ConfigLoader.parse(withTopLevel("\"TestFaultInjection\": true"), tmp);

        assertFalse(misspelt.testFaultInjection());
        assertEquals(List.of("config.json: TestFaultInjection: unknown key, ignored"
                + " (did you mean \"testFaultInjection\"?)"), misspelt.warnings());
    }

    @Test
    void unknownKeysAreWarningsNotFailures() {
        String json = config("\"path\": \"d\", \"colour\": \"blue\", \"HeartbeatMs\": 5",
                server(0, "localhost", 8000, 9000).replace("}", ", \"Weight\": 3}"),
                server(1, "localhost", 8001, 9001).replace("}", ", \"logport\": 1}"));

        ClusterConfig config = ConfigLoader.parse(json, tmp);

        assertEquals(List.of(
                "config.json: colour: unknown key, ignored",
                "config.json: HeartbeatMs: unknown key, ignored (did you mean \"heartbeatMs\"?)",
                "config.json: servers[0].Weight: unknown key, ignored",
                "config.json: servers[1].logport: unknown key, ignored (did you mean \"LogPort\"?)"),
                config.warnings());
        assertEquals(100, config.heartbeatMs());
        assertEquals(2, config.servers().size());
    }

    @Test
    void warningsNameTheFileAsGiven() throws IOException {
        Path file = Files.writeString(tmp.resolve("cluster.json"), withTopLevel("\"extra\": 1"));

        assertEquals(List.of(file + ": extra: unknown key, ignored"), ConfigLoader.load(file).warnings());
    }

    @Test
    void pathIsRelativeToTheConfigFilesFolderNotTheWorkingFolder() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("etc/raftkv"));
        Path file = Files.writeString(folder.resolve("cluster.json"), withTopLevel("\"path\": \"../../var/kv\""));

        ClusterConfig config = ConfigLoader.load(file);

        assertEquals(tmp.resolve("var/kv"), config.dataDir());
        assertEquals(tmp.resolve("var/kv/node-2"), config.nodeDir(2));
    }

    @Test
    void relativeConfigFileGivesAnAbsoluteDataFolder() throws URISyntaxException {
        Path absolute = fixture("original-readme-config.json");
        Path relative = Path.of("").toAbsolutePath().relativize(absolute);

        ClusterConfig config = ConfigLoader.load(relative);

        assertTrue(config.dataDir().isAbsolute());
        assertEquals(absolute.getParent().resolve("..."), config.dataDir());
    }

    @Test
    void absolutePathIsKept() {
        Path elsewhere = tmp.resolve("elsewhere").toAbsolutePath();
        String json = withTopLevel("\"path\": \"" + elsewhere.toString().replace("\\", "\\\\") + "\"");

        assertEquals(elsewhere, ConfigLoader.parse(json, tmp.resolve("unrelated")).dataDir());
    }

    @Test
    void missingFileIsOneLineNamingTheFile() {
        Path file = tmp.resolve("nope.json");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));

        assertEquals(file + ": cannot read: no such file", e.getMessage());
    }

    @Test
    void folderInsteadOfFileIsOneLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp));

        assertTrue(e.getMessage().startsWith(tmp + ": cannot read: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void errorsFromAFileNameThatFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("my.json"), "{\"servers\": []}");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));

        assertEquals(file + ": servers: must be a non-empty array, got []", e.getMessage());
    }

    @Test
    void byteOrderMarkIsTolerated() throws IOException {
        Path file = Files.writeString(tmp.resolve("bom.json"), "\uFEFF" + withTopLevel(""));

        assertEquals(3, ConfigLoader.load(file).servers().size());
    }

    @Test
    void serversComeSortedByIdAndIdsNeedNotBeSequential() {
        String json = config("", server(7, "localhost", 8007, 9007), server(2, "localhost", 8002, 9002),
                server(40, "localhost", 8040, 9040));

        ClusterConfig config = ConfigLoader.parse(json, tmp);

        assertEquals(List.of(2, 7, 40), config.servers().stream().map(ServerSpec::id).toList());
        assertEquals(8007, config.server(7).clientPort());
    }

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(ConfigLoaderTest.class.getResource("/config/" + name).toURI());
    }

    // Surefire runs in kv-server/, an IDE maybe elsewhere: walk up to the folder holding both.
    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("config.json")) && Files.isDirectory(dir.resolve("kv-server"))) {
                return dir;
            }
        }
        throw new AssertionError("no repository root above " + Path.of("").toAbsolutePath());
    }
}
