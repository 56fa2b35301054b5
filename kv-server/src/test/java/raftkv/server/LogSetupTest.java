package raftkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/** kv-server's logging (SPEC 10): levels, JSON lines, and a log file that rotates within bounds. */
class LogSetupTest {
    @TempDir
    Path dir;

    // A context of the test's own, so the test JVM's logging is left alone.
    private final LoggerContext context = new LoggerContext();

    LogSetupTest() {
        context.setMDCAdapter(new LogbackMDCAdapter());
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    @Test
    void aFileThatRotatesBySizeKeepsTheFolderBounded() throws IOException {
        Path file = dir.resolve("node-0.log");
        LogSetup.configure(context, LogSetup.Settings.parse("info", false, file, "2KB", 3).checkingSizeEveryEvent());
        Logger log = context.getLogger("raftkv.test");
        String filler = "x".repeat(200);
        for (int i = 0; i < 2_000; i++) log.info("line {} {}", i, filler);
        assertEquals(List.of("node-0.log", "node-0.log.1", "node-0.log.2", "node-0.log.3"), files(),
                "the live file and at most --log-keep old ones");
        for (String f : files()) {
            assertTrue(Files.size(dir.resolve(f)) < 2048 + 300, f + " grew past the limit by more than a line");
        }
        assertTrue(Files.readString(file).contains("line 1999 "), "the newest line is in the live file");
    }

    @Test
    void jsonIsOneObjectALineWithTheFormattedMessage() throws IOException {
        Path file = dir.resolve("json.log");
        LogSetup.configure(context, LogSetup.Settings.parse("info", true, file, "64MB", 5));
        Logger log = context.getLogger("raftkv.node.RaftNode");
        log.info("node {} became leader", 3);
        log.warn("a \"quoted\" value\nover two lines\tand a tab");
        log.debug("not at info");
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString());
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines.get(0));
        assertEquals("INFO", first.get("level").asText());
        assertEquals("raftkv.node.RaftNode", first.get("loggerName").asText());
        assertEquals("node 3 became leader", first.get("formattedMessage").asText());
        assertTrue(first.get("timestamp").asLong() > 0);
        assertEquals("a \"quoted\" value\nover two lines\tand a tab", json.readTree(lines.get(1)).get("formattedMessage").asText());
    }

    @Test
    void textLinesAtTheChosenLevelWithLibrariesQuieter() throws IOException {
        Path file = dir.resolve("text.log");
        LogSetup.configure(context, LogSetup.Settings.parse("warn", false, file, "64MB", 5));
        context.getLogger("raftkv.x").info("hidden");
        context.getLogger("raftkv.x").warn("shown");
        List<String> lines = Files.readAllLines(file);
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  x - shown"), lines.get(0));

        LogSetup.configure(context, LogSetup.Settings.parse("info", false, file, "64MB", 5));
        context.getLogger("io.grpc.netty.Foo").info("chatty");
        context.getLogger("raftkv.y").info("ours");
        String all = Files.readString(file);
        assertFalse(all.contains("chatty"), all);
        assertTrue(all.contains("ours"), all);
    }

    @Test
    void badSettingsAreUsageErrorsNamingTheOption() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogSetup.Settings.parse("loud", false, null, "1MB", 5))
                .getMessage().startsWith("--log-level"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogSetup.Settings.parse("info", false, null, "lots", 5))
                .getMessage().startsWith("--log-max-size"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogSetup.Settings.parse("info", false, null, "1MB", 0))
                .getMessage().startsWith("--log-keep"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogSetup.configure(context,
                LogSetup.Settings.parse("info", false, dir.resolve("no/such/dir/\0x"), "1MB", 5))) != null);
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
