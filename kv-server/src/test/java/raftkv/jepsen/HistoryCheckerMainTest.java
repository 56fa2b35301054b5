package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code HistoryChecker FILE} re-checks a saved history; exit codes 0, 1, 3 and 2; budgets end in UNKNOWN. */
class HistoryCheckerMainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return HistoryChecker.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private Path save(List<Op> ops) throws IOException {
        Path file = dir.resolve("history.jsonl");
        HistoryFile.write(file, ops);
        return file;
    }

    @Test
    void linearizableFileExitsZero() throws IOException {
        Path file = save(RandomHistories.generate(RandomHistories.Params.small(1)));
        assertEquals(0, run(file.toString()), out() + err);
        assertTrue(out().startsWith("LINEARIZABLE: 300 operations on 3 keys"), out());
    }

    @Test
    void violationExitsOneAndShowsTheWindow() throws IOException {
        HistoryBuilder h = new HistoryBuilder();
        h.op(1, 0, 1).set("k", "a").ok(1);
        h.op(2, 2, 3).set("k", "b").ok(2);
        h.op(3, 4, 5).get("k").value("a");
        assertEquals(1, run(save(h.ops()).toString()), out() + err);
        String text = out();
        assertTrue(text.startsWith("NOT LINEARIZABLE"), text);
        assertTrue(text.contains("then the register holds \"a\"@1"), text);
        assertTrue(text.contains("! #2       p2    set k \"b\""), text);
        assertTrue(text.contains("#3       p3    get k"), text);
    }

    @Test
    void exhaustedBudgetExitsThree() throws IOException {
        Path file = save(RandomHistories.generate(new RandomHistories.Params(7, 10, 1, 2000, 0.1, 0.02, 60, 20)));
        assertEquals(3, run(file.toString(), "--max-steps", "1"), out() + err);
        assertTrue(out().startsWith("UNKNOWN"), out());
        assertTrue(out().contains("budget exhausted"), out());
    }

    @Test
    void usageErrorsExitTwo() throws IOException {
        assertEquals(2, run());
        assertEquals(2, run("--time-limit"));
        assertEquals(2, run("a", "b"));
        assertEquals(2, run(dir.resolve("missing.jsonl").toString()));
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{}\n");
        assertEquals(2, run(bad.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("line 1"), err::toString);
    }

    // A budget never turns into a false verdict: out of steps or time it says UNKNOWN, never LINEARIZABLE.
    @Test
    void budgetsNeverYieldAFalseVerdict() {
        List<Op> h = RandomHistories.generate(new RandomHistories.Params(3, 10, 1, 2000, 0.1, 0.02, 60, 20));
        assertEquals(Verdict.UNKNOWN, HistoryChecker.check(h, new Budget(Duration.ofMinutes(1), 1)).verdict());
        assertEquals(Verdict.UNKNOWN, HistoryChecker.check(h, new Budget(Duration.ZERO, Long.MAX_VALUE)).verdict());
        List<Op> broken = Mutations.staleRead(h, new SplittableRandom(3)).orElseThrow().history();
        assertNotEquals(Verdict.LINEARIZABLE, HistoryChecker.check(broken, new Budget(Duration.ofMinutes(1), 1)).verdict());
        assertEquals(Verdict.LINEARIZABLE, HistoryChecker.check(h).verdict());
        assertEquals(Verdict.NOT_LINEARIZABLE, HistoryChecker.check(broken).verdict());
    }
}
