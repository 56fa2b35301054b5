package raftkv.cli.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import raftkv.cli.Endpoint;

/**
 * A text-protocol benchmark client that sends each operation to a node picked at random: one
 * {@link TextBenchClient} (one connection) per node, so followers forward as they would for
 * clients spread over the cluster.
 */
final class SpreadTextBenchClient implements BenchClient {
    private final List<TextBenchClient> perNode = new ArrayList<>();
    private final SplittableRandom random;

    SpreadTextBenchClient(List<Endpoint> endpoints, long seed, Duration timeout, LongAdder retries) {
        for (int i = 0; i < endpoints.size(); i++) perNode.add(new TextBenchClient(endpoints, i, timeout, retries));
        this.random = new SplittableRandom(seed);
    }

    @Override
    public BenchOutcome set(String key, byte[] value) {
        return pick().set(key, value);
    }

    @Override
    public BenchOutcome get(String key) {
        return pick().get(key);
    }

    private TextBenchClient pick() {
        return perNode.get(random.nextInt(perNode.size()));
    }

    @Override
    public void close() {
        perNode.forEach(TextBenchClient::close);
    }
}
