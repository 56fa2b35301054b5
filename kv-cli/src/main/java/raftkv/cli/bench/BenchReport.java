package raftkv.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The numbers of a finished run, as the summary lines people read and the JSON object scripts
 * read; both carry the same numbers. Latencies are of successful operations (NOT_FOUND
 * included); failed ones are counted apart, as errors and timeouts, never dropped.
 *
 * @param setLatency null when the run made no successful set; likewise {@code getLatency}
 * @param retries    attempts that failed over to another endpoint inside an operation: gRPC calls
 *                   answered UNAVAILABLE, or text-protocol connections refused
 */
public record BenchReport(BenchSettings settings, double elapsedSeconds, long ops, long sets, long gets,
                          long notFound, long errors, long timeouts, long retries,
                          Map<String, Long> errorKinds, Map<String, Long> timeoutKinds,
                          LatencyStats latency, LatencyStats setLatency, LatencyStats getLatency) {

    public long successful() {
        return ops - errors - timeouts;
    }

    /** Successful operations per second of the run. */
    public double throughput() {
        return elapsedSeconds <= 0 ? 0 : successful() / elapsedSeconds;
    }

    public List<String> textLines() {
        BenchSettings s = settings;
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "kvctl bench: %s, %d clients, %s, write ratio %.2f, %d keys, %d-byte values",
                s.protocol(), s.clients(), s.duration() != null ? "for " + seconds(s.duration().toNanos() / 1e9) : s.ops() + " ops",
                s.writeRatio(), s.keys(), s.valueSize()));
        lines.add("endpoints   " + s.endpoints().stream().map(Object::toString).collect(Collectors.joining(",")));
        lines.add(String.format(Locale.ROOT, "elapsed     %.2f s", elapsedSeconds));
        lines.add(String.format(Locale.ROOT, "ops         %d (sets %d, gets %d, of which not found %d)", ops, sets, gets, notFound));
        lines.add(String.format(Locale.ROOT, "errors      %d%s", errors, kinds(errorKinds)));
        lines.add(String.format(Locale.ROOT, "timeouts    %d%s", timeouts, kinds(timeoutKinds)));
        lines.add(String.format(Locale.ROOT, "retries     %d (attempts that failed over to another endpoint)", retries));
        lines.add(String.format(Locale.ROOT, "throughput  %.1f ops/s (successful operations)", throughput()));
        lines.add(String.format(Locale.ROOT, "latency ms  %9s %9s %9s %9s %9s", "p50", "p90", "p99", "p99.9", "max"));
        if (latency.count() == 0) {
            lines.add("  (no successful operation)");
        } else {
            lines.add(row("all", latency));
            if (setLatency != null) lines.add(row("set", setLatency));
            if (getLatency != null) lines.add(row("get", getLatency));
        }
        return lines;
    }

    public Map<String, Object> toJson() {
        BenchSettings s = settings;
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("protocol", s.protocol());
        json.put("endpoints", s.endpoints().stream().map(Object::toString).toList());
        json.put("clients", s.clients());
        json.put("duration_s", s.duration() == null ? null : s.duration().toNanos() / 1e9);
        json.put("ops_limit", s.ops() == 0 ? null : s.ops());
        json.put("write_ratio", s.writeRatio());
        json.put("keys", s.keys());
        json.put("value_size", s.valueSize());
        json.put("elapsed_s", LatencyStats.round(elapsedSeconds));
        json.put("ops", ops);
        json.put("successful", successful());
        json.put("sets", sets);
        json.put("gets", gets);
        json.put("not_found", notFound);
        json.put("errors", errors);
        json.put("timeouts", timeouts);
        json.put("errors_by_kind", errorKinds);
        json.put("timeouts_by_kind", timeoutKinds);
        json.put("retries", retries);
        json.put("throughput_ops_per_s", Math.round(throughput() * 10.0) / 10.0);
        json.put("latency_ms", latency.toJson());
        json.put("set_latency_ms", setLatency == null ? null : setLatency.toJson());
        json.put("get_latency_ms", getLatency == null ? null : getLatency.toJson());
        return json;
    }

    private static String kinds(Map<String, Long> kinds) {
        if (kinds.isEmpty()) return "";
        return " (" + kinds.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")) + ")";
    }

    private static String row(String name, LatencyStats l) {
        return String.format(Locale.ROOT, "  %-8s  %9.3f %9.3f %9.3f %9.3f %9.3f", name, l.p50(), l.p90(), l.p99(), l.p999(), l.max());
    }

    private static String seconds(double s) {
        return (s == Math.rint(s) ? String.valueOf((long) s) : String.valueOf(s)) + " s";
    }
}
