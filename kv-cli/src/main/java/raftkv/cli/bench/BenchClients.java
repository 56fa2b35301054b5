package raftkv.cli.bench;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import raftkv.cli.Endpoint;
import raftkv.cli.KvClient;

/** Makes the benchmark clients of each protocol. */
public final class BenchClients {
    private BenchClients() {}

    /** A gRPC client over a {@link KvClient} session that it closes when done. */
    public static BenchClient grpc(KvClient session) {
        return new GrpcBenchClient(session);
    }

    /**
     * A text-protocol client that connects first to endpoint {@code index} (modulo their number);
     * {@code retries} counts the connections it had to try elsewhere.
     */
    public static BenchClient text(List<Endpoint> endpoints, int index, Duration timeout, LongAdder retries) {
        return new TextBenchClient(endpoints, index, timeout, retries);
    }
}
