package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The state machine is pure (DESIGN.md, "A purity test"): every replica must compute the same
 * state from the same log, so nothing in raftkv.kv may read a clock, draw randomness, start
 * work in the background, share state across callers or touch files and sockets. This scans the
 * package's sources, names included in comments, for the ways in.
 */
class KvPurityTest {
    private static final Path SOURCES =
            Path.of(System.getProperty("basedir", ".")).resolve("src/main/java/raftkv/kv");

    // Assembled, so that this list itself never trips a scan of the test sources.
    private static final List<String> FORBIDDEN = List.of(
            "java." + "net", "java.nio." + "file", "java." + "time", "java.io." + "File", "java.util." + "concurrent",
            "Thr" + "ead", "System." + "currentTimeMillis", "System." + "nanoTime", "System." + "getenv",
            "System." + "getProperty", "new Ran" + "dom(", "java.util." + "Random", "Secure" + "Random",
            "Math." + "random", "synchro" + "nized", "vola" + "tile");

    @Test
    void theStateMachinePackageUsesNoClockRandomnessConcurrencyOrIo() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(SOURCES)) {
            files = list.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        assertTrue(files.size() >= 10, "expected the kv sources under " + SOURCES.toAbsolutePath());
        List<String> findings = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                for (String word : FORBIDDEN) {
                    if (lines.get(i).contains(word)) {
                        findings.add(file.getFileName() + ":" + (i + 1) + ": " + word);
                    }
                }
            }
        }
        assertEquals(List.of(), findings);
    }
}
