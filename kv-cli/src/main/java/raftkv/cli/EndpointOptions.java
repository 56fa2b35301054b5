package raftkv.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options every command that talks to the cluster shares (a picocli {@code @Mixin}): where
 * the cluster is, how long to wait, and how to print the result.
 *
 * <p>Endpoints are looked up in this order, first found wins: {@code --endpoints};
 * {@code --config FILE}; the {@code KVCTL_ENDPOINTS} variable; {@code ./config.json} in the
 * working folder. From a config file kvctl takes each server's LogPort (gRPC), or its ClientPort
 * for {@code bench --protocol text}.
 */
public final class EndpointOptions {
    public static final String ENV_ENDPOINTS = "KVCTL_ENDPOINTS";
    public static final String DEFAULT_CONFIG = "config.json";
    /** kv.proto: servers send messages of up to maxValueBytes (default 1 MiB) + 64 KiB. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = (1 << 20) + (64 << 10);

    @Option(names = "--endpoints", paramLabel = "HOST:PORT[,...]",
            description = "Servers to talk to, comma-separated, tried in order; any of them may be down. "
                    + "Default: $KVCTL_ENDPOINTS, else the servers in config.json (see --config).")
    String endpoints;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The cluster config to take the servers from (default: config.json in the working "
                    + "folder); --endpoints wins over it, and it wins over $KVCTL_ENDPOINTS.")
    Path config;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "17",
            description = "Give up on an operation after this long, retries and failover included; each call's "
                    + "deadline is what is left. Default ${DEFAULT-VALUE}: above the servers' 15 s request timeout, "
                    + "so that their own answer comes first.")
    double timeoutSeconds;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text (for people, the default) or json (one JSON object on stdout, for scripts).")
    OutputFormat output;

    @Option(names = "--max-message", paramLabel = "BYTES", defaultValue = "" + DEFAULT_MAX_MESSAGE_BYTES,
            description = "Largest gRPC message to accept, and largest --file to send (default ${DEFAULT-VALUE}: "
                    + "1 MiB values plus framing). Raise it for a cluster whose maxValueBytes is larger.")
    int maxMessageBytes;

    @Option(names = "--cacert", paramLabel = "FILE",
            description = "Use TLS, trusting the CA certificate (PEM) in FILE; the server's certificate must also "
                    + "name the endpoint's host. Default: $KVCTL_CACERT, else tls.caFile of the config file in use.")
    Path cacert;

    @Option(names = "--cert", paramLabel = "FILE",
            description = "Client certificate (PEM) to present over TLS; needed when the cluster has "
                    + "tls.clientCertAuth. Default: $KVCTL_CERT.")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE",
            description = "Private key (PEM, unencrypted) of --cert. Default: $KVCTL_KEY.")
    Path key;

    /** Where the endpoints came from, for messages ("--endpoints", "KVCTL_ENDPOINTS", a file). */
    public record Resolved(List<Endpoint> endpoints, String source) {}

    public OutputFormat output() {
        return output;
    }

    public boolean json() {
        return output == OutputFormat.json;
    }

    public Duration timeout() {
        if (!(timeoutSeconds > 0) || timeoutSeconds > 86_400) {
            throw new UsageException("--timeout must be a number of seconds above 0 and at most 86400, got " + timeoutSeconds);
        }
        return Duration.ofNanos((long) (timeoutSeconds * 1e9));
    }

    public int maxMessageBytes() {
        if (maxMessageBytes < 1024) throw new UsageException("--max-message must be at least 1024 bytes, got " + maxMessageBytes);
        return maxMessageBytes;
    }

    /**
     * TLS or plaintext, see {@link ClientTls}: the CA from --cacert, KVCTL_CACERT or the config
     * file in use (--config, or ./config.json when the endpoints come from it).
     */
    ClientTls tls(CliEnv env) {
        Path file = null;
        if (config != null) {
            file = env.workingDir().resolve(config);
        } else if (endpoints == null) {
            String fromEnv = env.getenv().apply(ENV_ENDPOINTS);
            if (fromEnv == null || fromEnv.isBlank()) file = env.workingDir().resolve(DEFAULT_CONFIG);
        }
        return ClientTls.resolve(cacert, cert, key, env, file);
    }

    /** The gRPC endpoints (LogPorts). */
    public Resolved grpcEndpoints(CliEnv env) {
        return resolve(env, true);
    }

    /** Text-protocol endpoints (ClientPorts): --endpoints or a config file; KVCTL_ENDPOINTS names gRPC ports. */
    public Resolved textEndpoints(CliEnv env) {
        return resolve(env, false);
    }

    private Resolved resolve(CliEnv env, boolean grpc) {
        if (endpoints != null) return new Resolved(parse(endpoints, "--endpoints"), "--endpoints");
        if (config != null) return fromFile(env.workingDir().resolve(config), grpc);
        String fromEnv = env.getenv().apply(ENV_ENDPOINTS);
        if (grpc && fromEnv != null && !fromEnv.isBlank()) {
            return new Resolved(parse(fromEnv, ENV_ENDPOINTS), ENV_ENDPOINTS);
        }
        Path file = env.workingDir().resolve(DEFAULT_CONFIG);
        if (!file.toFile().isFile()) {
            throw new UsageException(grpc
                    ? "no endpoints: give --endpoints HOST:PORT,..., set " + ENV_ENDPOINTS + ", or run where config.json is"
                    : "no endpoints for --protocol text: give --endpoints HOST:CLIENTPORT,... or --config FILE, or run where config.json is");
        }
        return fromFile(file, grpc);
    }

    private static Resolved fromFile(Path file, boolean grpc) {
        List<Endpoint> list = ClusterFile.servers(file).stream()
                .map(s -> grpc ? s.grpcEndpoint() : s.textEndpoint())
                .toList();
        return new Resolved(list, file.toString());
    }

    private static List<Endpoint> parse(String text, String source) {
        try {
            return Endpoint.parseList(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(source + ": " + e.getMessage());
        }
    }
}
