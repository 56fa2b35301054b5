package raftkv.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden scenario tests for the core: each {@code src/test/resources/raft/scenarios/*.txt} is a
 * script of {@link Scenario} commands, each followed by its expected output indented by two
 * spaces. Lines starting with {@code #} and blank lines are kept as they are. The test runs every
 * command and fails on the first script whose output differs, showing the whole expected and
 * actual text.
 *
 * <p>After an intended change of behaviour, rewrite the expectations and review the diff:
 * {@code mvn -pl kv-server -am test -Dtest=ScenarioTest -Draftkv.rewrite=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class ScenarioTest {
    // Surefire runs in the module's folder, so the scripts are read (and rewritten) in the source tree.
    private static final Path SCRIPTS = Path.of("src/test/resources/raft/scenarios");
    private static final String INDENT = "  ";

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(SCRIPTS)) {
            files = list.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no scenario scripts in " + SCRIPTS.toAbsolutePath());
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
    }

    private static void check(Path file) throws IOException {
        String expected = Files.readString(file, StandardCharsets.UTF_8);
        String actual = replay(expected);
        if (!actual.equals(expected) && Boolean.getBoolean("raftkv.rewrite")) {
            Files.writeString(file, actual, StandardCharsets.UTF_8);
            return;
        }
        assertEquals(expected, actual, file + " (rewrite with -Draftkv.rewrite=true, then review the diff)");
    }

    /** The script with every command's output replaced by what the command prints now. */
    static String replay(String script) {
        Scenario scenario = new Scenario();
        List<String> out = new ArrayList<>();
        for (String line : script.split("\n", -1)) {
            if (line.startsWith(INDENT)) continue; // an expectation: regenerated below its command
            out.add(line);
            if (line.isBlank() || line.startsWith("#")) continue;
            List<String> printed;
            try {
                printed = scenario.run(line);
            } catch (RuntimeException e) {
                throw new AssertionError("command failed: " + line, e);
            }
            for (String p : printed) out.add(INDENT + p);
        }
        return String.join("\n", out);
    }
}
