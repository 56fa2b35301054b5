package raftkv.cli;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import raftkv.cli.bench.BenchClients;
import raftkv.cli.bench.BenchReport;
import raftkv.cli.bench.BenchRunner;
import raftkv.cli.bench.BenchSettings;
import raftkv.cli.bench.BenchProgress;

/** {@code kvctl bench}: a closed-loop load generator with a latency summary. */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Load the cluster and measure throughput and latency.",
                "Each of --clients clients sends one operation, waits for its answer and sends the next (a closed "
                        + "loop), for --duration seconds or until --ops operations are done. Each operation is a set "
                        + "(with probability --write-ratio) or a get of a key picked at random among --keys keys "
                        + "(bench-0, bench-1, ...). Unless the run only writes, every key is first written once, so "
                        + "that gets find a value.",
                "",
                "Over gRPC (the default) the clients behave as kvctl's other commands: they send to the leader "
                        + "once an answer names it and fail over when an endpoint is down; each client has its own "
                        + "request-id client id. With --protocol text each client keeps one connection to one node "
                        + "(clients are spread over the nodes in turn, skipping nodes that refuse connections; followers "
                        + "forward to the leader), and the "
                        + "endpoints are the nodes' ClientPorts (by default from config.json).",
                "With --spread every operation goes first to a node picked at random, as from clients spread over "
                        + "the cluster. --protocol etcd loads an etcd v3 cluster instead (Put and linearizable Range; "
                        + "--endpoints are its client URLs' host:port), for comparisons on the same machine. "
                        + "--protocol grpc-raw sends raftkv's KeyValue Set and Get encoded by hand in the same way (no "
                        + "request id, leader hint or retry), so that both systems cost the load generator the same.",
                "",
                "BenchProgress goes to stderr: a bar on a terminal, otherwise a line a second (none with --output json "
                        + "or --quiet). The summary goes to "
                        + "stdout: operations, errors and timeouts (counted, never hidden), throughput of successful "
                        + "operations, and the latency of successful operations at p50, p90, p99, p99.9 and max, "
                        + "overall and per operation type. --output json prints the same numbers as one JSON object.",
                "Exits with 0 if any operation succeeded, 4 if none did."},
        footer = {"", "Examples:",
                "  kvctl bench --duration 10 --clients 16",
                "  kvctl bench --ops 100000 --write-ratio 1 --value-size 1024",
                "  kvctl bench --protocol text --duration 30 -o json > result.json"})
final class BenchCommand implements Callable<Integer> {
    /** The front door to load. */
    enum Protocol {
        grpc, grpc_raw, text, etcd;

        /** As typed on the command line: {@code grpc-raw}. */
        String label() {
            return name().replace('_', '-');
        }
    }

    /** Reads {@code grpc}, {@code grpc-raw}, {@code text} or {@code etcd}. */
    static final class ProtocolConverter implements picocli.CommandLine.ITypeConverter<Protocol> {
        @Override
        public Protocol convert(String value) {
            for (Protocol p : Protocol.values()) if (p.label().equals(value)) return p;
            throw new picocli.CommandLine.TypeConversionException(
                    "'" + value + "' is not a protocol: expected grpc, grpc-raw, text or etcd");
        }
    }

    static final class Limit {
        @Option(names = "--duration", paramLabel = "SECONDS", description = "Run for this long (default: 10 s).")
        Double duration;

        @Option(names = "--ops", paramLabel = "N", description = "Run until N operations are done, over all clients.")
        Long ops;
    }

    @ParentCommand
    KvCtl kvctl;

    @Mixin
    EndpointOptions options;

    @Option(names = "--protocol", paramLabel = "PROTOCOL", defaultValue = "grpc", converter = ProtocolConverter.class,
            description = "grpc (the default; endpoints are LogPorts), grpc-raw (KeyValue Set and Get encoded by hand, "
                    + "as etcd's are; LogPorts), text (the text protocol; endpoints are ClientPorts) or etcd.")
    Protocol protocol;

    @Option(names = "--spread", description = "Send each operation first to a node picked at random, not to the leader.")
    boolean spread;

    @Option(names = {"-c", "--clients"}, paramLabel = "N", defaultValue = "16",
            description = "Concurrent clients, each with one operation in flight (default ${DEFAULT-VALUE}).")
    int clients;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Limit limit;

    @Option(names = "--write-ratio", paramLabel = "R", defaultValue = "0.5",
            description = "Share of operations that are sets, 0 to 1; the rest are gets (default ${DEFAULT-VALUE}).")
    double writeRatio;

    @Option(names = "--keys", paramLabel = "N", defaultValue = "1000",
            description = "Size of the keyspace (default ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--value-size", paramLabel = "BYTES", defaultValue = "100",
            description = "Size of each value written, random bytes (default ${DEFAULT-VALUE}).")
    int valueSize;

    @Option(names = "--no-prefill", description = "Do not write every key first (an earlier run wrote the keyspace).")
    boolean noPrefill;

    @Option(names = {"-q", "--quiet"}, description = "No progress reports; only the summary.")
    boolean quiet;

    @Override
    public Integer call() throws InterruptedException {
        BenchSettings settings = settings();
        CliEnv env = kvctl.env();
        // Plain progress lines would only clutter a script's stderr; a person at a terminal still gets the bar.
        BenchProgress progress = quiet ? BenchProgress.none()
                : env.interactive() ? BenchProgress.bar(env.stderr())
                : options.json() ? BenchProgress.none()
                : BenchProgress.lines(env.stderr());
        BenchReport report;
        long seed = System.nanoTime();
        if (protocol == Protocol.grpc) {
            try (KvClient root = kvctl.connect(options)) {
                report = new BenchRunner(settings, i -> spread ? BenchClients.grpcSpread(root) : BenchClients.grpc(root.newSession()),
                        root::failedAttempts, progress).run();
            }
        } else if (protocol == Protocol.etcd || protocol == Protocol.grpc_raw) {
            // Built the same way for both: gRPC's own network threads, nothing in between.
            io.grpc.ChannelCredentials credentials = protocol == Protocol.etcd
                    ? io.grpc.InsecureChannelCredentials.create() : options.tls(env).credentials();
            List<ManagedChannel> channels = settings.endpoints().stream().map(e -> NettyChannelBuilder
                    .forAddress(e.host(), e.port(), credentials).build()).map(ManagedChannel.class::cast).toList();
            try {
                report = new BenchRunner(settings, i -> {
                    int fixed = spread ? -1 : i % channels.size();
                    return protocol == Protocol.etcd ? BenchClients.etcd(channels, fixed, seed + i, settings.timeout())
                            : BenchClients.grpcRaw(channels, fixed, seed + i, settings.timeout());
                }, () -> 0, progress).run();
            } finally {
                channels.forEach(ManagedChannel::shutdownNow);
            }
        } else if (spread) {
            LongAdder retries = new LongAdder();
            report = new BenchRunner(settings, i -> BenchClients.textSpread(settings.endpoints(), seed + i, settings.timeout(),
                    retries), retries::sum, progress).run();
        } else {
            LongAdder retries = new LongAdder();
            report = new BenchRunner(settings, i -> BenchClients.text(settings.endpoints(), i, settings.timeout(), retries),
                    retries::sum, progress).run();
        }
        Output out = kvctl.output();
        if (options.json()) {
            out.json(report.toJson());
        } else {
            report.textLines().forEach(out::line);
        }
        if (report.successful() == 0) {
            throw new KvFailure(Status.Code.UNAVAILABLE, "bench: no operation succeeded (errors " + report.errors()
                    + ", timeouts " + report.timeouts() + ")");
        }
        return ExitCodes.OK;
    }

    private BenchSettings settings() {
        if (clients < 1 || clients > 4096) throw new UsageException("--clients must be 1 to 4096, got " + clients);
        if (!(writeRatio >= 0 && writeRatio <= 1)) throw new UsageException("--write-ratio must be 0 to 1, got " + writeRatio);
        if (keys < 1) throw new UsageException("--keys must be at least 1, got " + keys);
        if (valueSize < 0 || valueSize > options.maxMessageBytes()) {
            throw new UsageException("--value-size must be 0 to " + options.maxMessageBytes() + " (--max-message), got " + valueSize);
        }
        Duration duration = null;
        long ops = 0;
        if (limit != null && limit.ops != null) {
            if (limit.ops < 1) throw new UsageException("--ops must be at least 1, got " + limit.ops);
            ops = limit.ops;
        } else {
            double seconds = limit != null && limit.duration != null ? limit.duration : 10;
            if (!(seconds > 0) || seconds > 7 * 86_400) throw new UsageException("--duration must be above 0 seconds, up to a week");
            duration = Duration.ofNanos((long) (seconds * 1e9));
        }
        List<Endpoint> endpoints = protocol != Protocol.text
                ? options.grpcEndpoints(kvctl.env()).endpoints()
                : options.textEndpoints(kvctl.env()).endpoints();
        return new BenchSettings(protocol.label(), endpoints, clients, duration, ops, writeRatio, keys, valueSize,
                options.timeout(), !noPrefill);
    }
}
