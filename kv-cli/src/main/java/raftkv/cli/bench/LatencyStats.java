package raftkv.cli.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The latency summary of one histogram of microseconds, in milliseconds. */
public record LatencyStats(long count, double mean, double p50, double p90, double p99, double p999, double max) {

    public static LatencyStats of(Histogram us) {
        return new LatencyStats(us.getTotalCount(), us.getMean() / 1000.0,
                ms(us, 50), ms(us, 90), ms(us, 99), ms(us, 99.9), us.getMaxValue() / 1000.0);
    }

    private static double ms(Histogram us, double percentile) {
        return us.getValueAtPercentile(percentile) / 1000.0;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("count", count);
        json.put("mean", round(mean));
        json.put("p50", round(p50));
        json.put("p90", round(p90));
        json.put("p99", round(p99));
        json.put("p99_9", round(p999));
        json.put("max", round(max));
        return json;
    }

    static double round(double ms) {
        return Math.round(ms * 1000.0) / 1000.0;
    }
}
