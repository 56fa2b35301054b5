package raftkv.cli.bench;

import io.grpc.ManagedChannel;
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

    /** A gRPC client whose every operation goes first to a node picked at random (followers forward). */
    public static BenchClient grpcSpread(KvClient root) {
        return new GrpcBenchClient(root.newSpreadSession());
    }

    /** A text-protocol client with a connection to every node, each operation to one picked at random. */
    public static BenchClient textSpread(List<Endpoint> endpoints, long seed, Duration timeout, LongAdder retries) {
        return new SpreadTextBenchClient(endpoints, seed, timeout, retries);
    }

    /** An etcd v3 client (Put and linearizable Range) over shared channels; {@code fixed} -1 picks one per operation. */
    public static BenchClient etcd(List<ManagedChannel> channels, int fixed, long seed, Duration timeout) {
        return new RawGrpcBenchClient(RawGrpcBenchClient.ETCD, channels, fixed, seed, timeout);
    }

    /** A raftkv client of KeyValue Set and Get encoded by hand, as {@link #etcd} is; {@code fixed} -1 picks one per operation. */
    public static BenchClient grpcRaw(List<ManagedChannel> channels, int fixed, long seed, Duration timeout) {
        return new RawGrpcBenchClient(RawGrpcBenchClient.RAFTKV, channels, fixed, seed, timeout);
    }

    /**
     * A text-protocol client that connects first to endpoint {@code index} (modulo their number);
     * {@code retries} counts the connections it had to try elsewhere.
     */
    public static BenchClient text(List<Endpoint> endpoints, int index, Duration timeout, LongAdder retries) {
        return new TextBenchClient(endpoints, index, timeout, retries);
    }
}
