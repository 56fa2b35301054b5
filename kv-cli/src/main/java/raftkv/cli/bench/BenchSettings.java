package raftkv.cli.bench;

import java.time.Duration;
import java.util.List;
import raftkv.cli.Endpoint;

/**
 * What one benchmark run does.
 *
 * @param duration   how long to run; null when {@code ops} bounds the run instead
 * @param ops        operations in all, over every client; 0 when {@code duration} bounds the run
 * @param writeRatio the share of operations that are sets, 0 to 1; the rest are gets
 * @param keys       the keyspace: keys bench-0 ... bench-(keys-1), each op picks one at random
 * @param timeout    the deadline of each operation
 * @param prefill    whether to write every key once before measuring (a run that only writes never does)
 */
public record BenchSettings(String protocol, List<Endpoint> endpoints, int clients, Duration duration, long ops,
                            double writeRatio, int keys, int valueSize, Duration timeout,
                            boolean prefill) {
    public BenchSettings {
        endpoints = List.copyOf(endpoints);
        if ((duration == null) == (ops == 0)) throw new IllegalArgumentException("exactly one of duration and ops");
    }

    public static String key(int i) {
        return "bench-" + i;
    }
}
