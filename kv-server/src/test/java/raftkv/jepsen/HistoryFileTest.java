package raftkv.jepsen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A saved history reads back as it was, and a malformed file names its bad line. */
class HistoryFileTest {
    private static List<Op> everyKind() {
        HistoryBuilder h = new HistoryBuilder();
        h.op(1, 0, 1).set("k", "plain").ok(1);
        h.op(2, 1, 2).set("k", "quote\" backslash\\ crlf\r\n nul\0 utf8 é").ok(2);
        h.op(3, 2, 3).get("k").value("plain");
        h.op(3, 3, 4).getm("k").value("plain", 1);
        h.op(4, 4, 5).get("k").notFound();
        h.op(5, 5, 6).cas("k", 2, "c").ok(3);
        h.op(5, 6, 7).cas("k", 2, "c").mismatch();
        h.op(6, 7, 8).cas("k", 2, "c").notFound();
        h.op(7, 8, 9).delete("k").deleted();
        h.op(7, 9, 10).delete("k").notFound();
        h.op(8, 10, 11).set("k", "x").fail();
        h.op(9, 11, 12).set("k", "y").info();
        h.op(10, 12).cas("k", 3, "z").info();
        h.op(11, 13, 14).getm("k").info();
        return h.ops();
    }

    @Test
    void roundTripKeepsEveryField(@TempDir Path dir) throws IOException {
        List<Op> ops = everyKind();
        Path file = dir.resolve("history.jsonl");
        HistoryFile.write(file, ops);
        assertEquals(ops, HistoryFile.read(file));
    }

    @Test
    void oneOperationPerLine() throws IOException {
        StringWriter w = new StringWriter();
        HistoryFile.write(w, everyKind());
        assertEquals(everyKind().size(), w.toString().lines().count());
        assertTrue(w.toString().contains("\"complete\":null"), w::toString);
    }

    @Test
    void blankAndCommentLinesAreSkipped() throws IOException {
        String text = "# a saved history\n\n" + HistoryFile.toLine(everyKind().get(0)) + "\n  \n";
        assertEquals(List.of(everyKind().get(0)), HistoryFile.read(new StringReader(text)));
    }

    @Test
    void malformedLinesAreRejectedWithTheirNumber() {
        String good = HistoryFile.toLine(everyKind().get(0));
        for (String bad : List.of("not json", "[1,2]", good.replace("\"set\"", "\"put\""), good.replace("\"version\":1", "\"version\":\"1\""),
                good.replace("\"type\":\"ok\"", "\"type\":\"not-found\""), good.replace("\"invoke\":0", "\"invoke\":5"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HistoryFile.read(new StringReader(good + "\n" + bad + "\n")), bad);
            assertTrue(e.getMessage().startsWith("line 2: "), e.getMessage());
        }
    }
}
