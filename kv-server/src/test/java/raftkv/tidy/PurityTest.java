package raftkv.tidy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import raftkv.tidy.PurityScanner.Violation;

/**
 * The consensus core ({@code raftkv.raft}) and the state machine ({@code raftkv.kv}) are pure:
 * no network, files, clocks, threads, locks or ambient randomness (DESIGN.md, "A pure consensus
 * core"). This test reads their sources and fails naming each offending file and line.
 */
class PurityTest {
    private static final List<String> PURE_PACKAGES = List.of("raft", "kv");

    /** src/main/java/raftkv of the kv-server module, whether tests run from the module or the repository root. */
    private static Path sourceRoot() {
        for (Path p : List.of(Path.of("src/main/java/raftkv"), Path.of("kv-server/src/main/java/raftkv"))) {
            if (Files.isDirectory(p.resolve("raft"))) return p;
        }
        throw new AssertionError("raftkv/raft sources not found from " + Path.of("").toAbsolutePath());
    }

    // Pure core: no file under raft/ or kv/ (skipped while absent) uses the network, files, clocks, threads, locks or ambient randomness.
    @Test
    void pureSourcesUseNoAmbientEffects() throws IOException {
        Path root = sourceRoot();
        List<Violation> found = new ArrayList<>();
        int scanned = 0;
        for (String pkg : PURE_PACKAGES) {
            Path dir = root.resolve(pkg);
            if (!Files.isDirectory(dir)) continue;
            List<Path> files;
            try (Stream<Path> walk = Files.walk(dir)) {
                files = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
            }
            for (Path f : files) {
                found.addAll(PurityScanner.scan(f.toString(), Files.readString(f)));
                scanned++;
            }
        }

        assertTrue(scanned > 0, "no sources scanned under " + root.toAbsolutePath());
        assertTrue(found.isEmpty(), () -> found.size() + " impure use(s) in the pure packages:\n"
                + found.stream().map(Violation::toString).collect(Collectors.joining("\n")));
    }

    // The scanner fails on a forbidden import, and names the file and line.
    @Test
    void scannerFlagsForbiddenImportWithFileAndLine() {
        String source = "package raftkv.raft;\n\nimport java.util.List;\nimport java.net.Socket;\n\nfinal class Leaky {}\n";

        List<Violation> found = PurityScanner.scan("raft/Leaky.java", source);

        assertEquals(List.of(new Violation("raft/Leaky.java", 4, "java.net", "import java.net.Socket;")), found);
        assertEquals("raft/Leaky.java:4: uses java.net: import java.net.Socket;", found.get(0).toString());
    }

    // The scanner recognises each forbidden use in code.
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "import java.net.InetAddress;                        | java.net",
            "import java.nio.file.Files;                         | java.nio.file",
            "import java.io.File;                                | java.io.File",
            "var in = new java.io.FileInputStream(name);         | java.io.File",
            "var f = new File(name);                             | java.io.File (by simple name)",
            "import java.time.Instant;                           | java.time",
            "long t = java.time.Clock.systemUTC().millis();      | java.time",
            "Thread.yield();                                     | Thread",
            "new Thread(task).start();                           | Thread",
            "static final ThreadLocal<Object> CACHE = null;      | ThreadLocal",
            "int r = ThreadLocalRandom.current().nextInt();      | ThreadLocalRandom",
            "long now = System.currentTimeMillis();              | System.currentTimeMillis",
            "long now = System . nanoTime();                     | System.nanoTime",
            "import static java.lang.System.*;                   | static import of System or Thread members",
            "var r = new Random(42);                             | new Random(",
            "var r = new java.util.Random();                     | new Random(",
            "var r = new SecureRandom();                         | SecureRandom",
            "var r = RandomGenerator.getDefault();               | RandomGenerator.getDefault/of (ambient seed)",
            "var id = UUID.randomUUID();                         | UUID.randomUUID",
            "double d = Math.random();                           | Math.random",
            "import java.util.concurrent.CompletableFuture;      | java.util.concurrent",
            "synchronized (this) { n++; }                        | synchronized",
            "private synchronized void apply() {}                | synchronized"})
    void scannerFlagsEachForbiddenUse(String line, String rule) {
        List<Violation> found = PurityScanner.scan("X.java", "class X {\n" + line + "\n}\n");

        assertTrue(found.stream().anyMatch(v -> v.rule().equals(rule) && v.line() == 2), () -> "expected " + rule + ", found " + found);
    }

    // The scanner ignores comments and literals that merely mention forbidden APIs, and keeps line numbers right after them.
    @Test
    void scannerIgnoresCommentsAndLiterals() {
        String source = String.join("\n",
                "// no Thread.yield here, and no java.net",
                "/* System.currentTimeMillis() would be",
                "   a clock: synchronized */",
                "/** Uses no {@link java.time.Clock}. */",
                "String a = \"new Random(\";",
                "String b = \"say \\\"Thread\\\" twice\";",
                "char q = '\"'; String c = \"java.util.concurrent\";",
                "String d = \"\"\"",
                "    Math.random()",
                "    \"\"\";",
                "long t = System.nanoTime();");

        List<Violation> found = PurityScanner.scan("X.java", source);

        assertEquals(List.of(11), found.stream().map(Violation::line).toList(), found.toString());
    }

    // The scanner allows the look-alikes the core legitimately uses: an injected RandomGenerator, SplittableRandom, java.io streams.
    @Test
    void scannerAllowsLookalikes() {
        String source = String.join("\n",
                "import java.util.random.RandomGenerator;",
                "import java.util.SplittableRandom;",
                "import java.io.UncheckedIOException;",
                "import java.io.InputStream;",
                "class X {",
                "  RandomGenerator random = new SplittableRandom(7);",
                "  int threads; long timeoutTicks; String fileName; Object profile;",
                "  int r = random.nextInt(10);",
                "}");

        assertEquals(List.of(), PurityScanner.scan("X.java", source));
    }
}
