package raftkv.jepsen;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A history as JSON lines, one operation per line, so a failing history can be saved and checked
 * again ({@code HistoryChecker FILE}). Fields:
 * <pre>
 * {"id":7,"process":3,"f":"cas","key":"k1","expected":12,"value":"v9",
 *  "invoke":1500,"complete":2300,"type":"ok","version":19}
 * </pre>
 * {@code f}: set, get, getm, cas, delete ({@code value} for set and cas, {@code expected} for cas).
 * {@code type}: ok (with {@code version}), value (a read: {@code value} read and {@code version}, 0
 * if not shown), not-found, version-mismatch, deleted, fail and info (with {@code error}).
 * {@code complete} is null for an operation that never completed. Blank lines and lines starting
 * with {@code #} are skipped.
 */
public final class HistoryFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HistoryFile() {}

    public static void write(Path file, List<Op> history) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            write(w, history);
        }
    }

    public static void write(Writer w, List<Op> history) throws IOException {
        for (Op op : history) {
            w.write(toLine(op));
            w.write('\n');
        }
        w.flush();
    }

    public static List<Op> read(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(r);
        }
    }

    /** Throws IllegalArgumentException naming the line of the first malformed operation. */
    public static List<Op> read(Reader reader) throws IOException {
        BufferedReader r = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
        List<Op> ops = new ArrayList<>();
        String line;
        int number = 0;
        while ((line = r.readLine()) != null) {
            number++;
            if (line.isBlank() || line.startsWith("#")) continue;
            try {
                ops.add(fromLine(line));
            } catch (JsonProcessingException | RuntimeException e) {
                throw new IllegalArgumentException("line " + number + ": " + e.getMessage(), e);
            }
        }
        return ops;
    }

    static String toLine(Op op) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", op.id());
        o.put("process", op.process());
        o.put("f", op.call().verb());
        o.put("key", op.key());
        if (op.call() instanceof Call.Cas c) o.put("expected", c.expectedVersion());
        if (op.call() instanceof Call.Set s) o.put("value", s.value());
        if (op.call() instanceof Call.Cas c) o.put("value", c.value());
        o.put("invoke", op.invoke());
        if (op.complete() == Op.NEVER) o.putNull("complete");
        else o.put("complete", op.complete());
        Outcome out = op.outcome();
        if (out instanceof Outcome.Ok ok) {
            o.put("type", "ok").put("version", ok.version());
        } else if (out instanceof Outcome.Value v) {
            o.put("type", "value").put("result", v.value()).put("version", v.version());
        } else if (out instanceof Outcome.NotFound) {
            o.put("type", "not-found");
        } else if (out instanceof Outcome.VersionMismatch) {
            o.put("type", "version-mismatch");
        } else if (out instanceof Outcome.Deleted) {
            o.put("type", "deleted");
        } else if (out instanceof Outcome.Fail f) {
            o.put("type", "fail").put("error", f.error());
        } else {
            o.put("type", "info").put("error", ((Outcome.Info) out).error());
        }
        return o.toString();
    }

    static Op fromLine(String line) throws JsonProcessingException {
        JsonNode o = JSON.readTree(line);
        if (o == null || !o.isObject()) throw new IllegalArgumentException("not a JSON object");
        String key = text(o, "key");
        Call call = switch (text(o, "f")) {
            case "set" -> new Call.Set(key, text(o, "value"));
            case "get" -> new Call.Get(key);
            case "getm" -> new Call.GetM(key);
            case "cas" -> new Call.Cas(key, number(o, "expected"), text(o, "value"));
            case "delete" -> new Call.Delete(key);
            default -> throw new IllegalArgumentException("unknown f " + o.get("f"));
        };
        Outcome outcome = switch (text(o, "type")) {
            case "ok" -> new Outcome.Ok(number(o, "version"));
            case "value" -> new Outcome.Value(text(o, "result"), number(o, "version"));
            case "not-found" -> new Outcome.NotFound();
            case "version-mismatch" -> new Outcome.VersionMismatch();
            case "deleted" -> new Outcome.Deleted();
            case "fail" -> new Outcome.Fail(text(o, "error"));
            case "info" -> new Outcome.Info(text(o, "error"));
            default -> throw new IllegalArgumentException("unknown type " + o.get("type"));
        };
        JsonNode complete = o.get("complete");
        long end = complete == null || complete.isNull() ? Op.NEVER : number(o, "complete");
        return new Op(number(o, "id"), (int) number(o, "process"), call, outcome, number(o, "invoke"), end);
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null || !n.isTextual()) throw new IllegalArgumentException("field " + field + " must be a string");
        return n.textValue();
    }

    private static long number(JsonNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null || !n.canConvertToLong() || !n.isIntegralNumber()) throw new IllegalArgumentException("field " + field + " must be an integer");
        return n.longValue();
    }
}
