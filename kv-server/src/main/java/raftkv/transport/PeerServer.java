package raftkv.transport;

import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerTransportFilter;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one gRPC server of a node, on its LogPort: the Raft peer service ({@link
 * GrpcTransport#peerService()}) and, beside it, the client service.
 *
 * <p>Handlers run on the network threads (the server uses a direct executor), so requests from one
 * peer reach the node in the order they arrived and no thread pool grows under load. In exchange,
 * every service added here must never block in a handler: decode, hand over to the node's queue,
 * and answer later from any thread.
 */
public final class PeerServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerServer.class);

    /** How long {@link #close} lets calls in progress finish before cancelling them. */
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(2);

    // Peers keep a connection open with pings while idle; allow them every 10 s rather than
    // gRPC's default of 5 min, which would close such a connection with "too_many_pings".
    static final Duration PERMIT_KEEPALIVE_TIME = Duration.ofSeconds(10);

    /**
     * Concurrent calls one connection may have open (HTTP/2 MAX_CONCURRENT_STREAMS); a client's
     * further calls wait in its own channel. Above the calls a peer keeps in flight
     * ({@link GrpcTransport.Options#maxOutstandingCalls}), so Raft traffic never waits on it.
     */
    public static final int MAX_CONCURRENT_CALLS_PER_CONNECTION = 512;

    private final Server server;
    private final InetSocketAddress address;

    private PeerServer(Server server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    /**
     * Binds {@code host:port} and starts serving.
     *
     * @param port                   0 picks a free port (see {@link #port()})
     * @param maxInboundMessageBytes the largest request accepted, {@link GrpcTransport#maxMessageBytes}
     *                               of maxValueBytes; a larger one is refused with RESOURCE_EXHAUSTED
     * @throws IOException naming the address, when it cannot be bound (a port in use, say)
     */
    public static PeerServer start(String host, int port, int maxInboundMessageBytes, List<BindableService> services)
            throws IOException {
        return start(host, port, maxInboundMessageBytes, services, InsecureServerCredentials.create(), List.of());
    }

    /**
     * As above, serving with {@code credentials}: plaintext, or TLS only (SPEC section 8), in which
     * case a plaintext client's connection fails and no call of it reaches a service; every
     * connection also passes through {@code filters}.
     */
    public static PeerServer start(String host, int port, int maxInboundMessageBytes, List<BindableService> services,
                                   ServerCredentials credentials, List<ServerTransportFilter> filters) throws IOException {
        if (maxInboundMessageBytes <= 0) throw new IllegalArgumentException("maxInboundMessageBytes must be > 0");
        InetSocketAddress bind = new InetSocketAddress(host, port);
        if (bind.isUnresolved()) throw new IOException("cannot listen on " + host + ":" + port + ": unknown host " + host);
        NettyServerBuilder builder = NetLoops.server(NettyServerBuilder.forAddress(bind, credentials))
                .directExecutor()
                .maxInboundMessageSize(maxInboundMessageBytes)
                .permitKeepAliveTime(PERMIT_KEEPALIVE_TIME.toSeconds(), TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .maxConcurrentCallsPerConnection(MAX_CONCURRENT_CALLS_PER_CONNECTION);
        services.forEach(builder::addService);
        filters.forEach(builder::addTransportFilter);
        Server server = builder.build();
        try {
            server.start();
        } catch (IOException e) {
            throw new IOException("cannot listen on " + host + ":" + port + ": " + rootMessage(e), e);
        }
        InetSocketAddress bound = (InetSocketAddress) server.getListenSockets().get(0);
        log.info("gRPC listening on {}", bound);
        return new PeerServer(server, bound);
    }

    /** The port actually bound, useful when started with port 0. */
    public int port() {
        return address.getPort();
    }

    public InetSocketAddress address() {
        return address;
    }

    /**
     * Stops accepting calls, lets calls in progress finish for up to {@link #SHUTDOWN_GRACE}, then
     * cancels the rest. Returns once the port is released.
     */
    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
