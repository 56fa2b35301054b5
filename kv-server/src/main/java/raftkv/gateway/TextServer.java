package raftkv.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.node.KvApi;

/**
 * The TCP gateway for the text protocol on a node's ClientPort (SPEC 4): a thin Netty server
 * around {@link TextDecoder}, {@link KvApi} and {@link TextReplies}. NIO transport, one acceptor
 * thread and one worker event loop per core; each connection is a {@link TextConnection} and
 * stays open while idle.
 */
public final class TextServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TextServer.class);
    /** How long {@link #close()} lets connections finish the commands they have pending. */
    public static final Duration DEFAULT_CLOSE_GRACE = Duration.ofSeconds(5);

    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final Channel listener;
    private final ChannelGroup connections;
    private final GatewayStats stats;
    private final BufferBudget budget;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private TextServer(EventLoopGroup acceptor, EventLoopGroup workers, Channel listener,
            ChannelGroup connections, GatewayStats stats, BufferBudget budget) {
        this.budget = budget;
        this.acceptor = acceptor;
        this.workers = workers;
        this.listener = listener;
        this.connections = connections;
        this.stats = stats;
    }

    /** Listens on {@code host:port} (0: any free port) with the default limits. */
    public static TextServer start(String host, int port, KvApi api, int maxValueBytes, RequestIdSource ids)
            throws IOException {
        return start(host, port, api, GatewayLimits.defaults(maxValueBytes), ids);
    }

    /**
     * Listens on {@code host:port} (0: any free port). Returns once bound.
     *
     * @throws IOException the address cannot be bound (in use, unknown host, ...); the message
     *     names it, and nothing is left running
     */
    public static TextServer start(String host, int port, KvApi api, GatewayLimits limits, RequestIdSource ids)
            throws IOException {
        return start(host, port, api, limits, ids, null);
    }

    /**
     * As above; with {@code tls} non-null every connection must open with a TLS handshake (SPEC
     * section 8, {@code "text": true}), and the same text protocol runs inside it. A client that
     * speaks plaintext fails the handshake and is disconnected without reaching the decoder.
     */
    public static TextServer start(String host, int port, KvApi api, GatewayLimits limits, RequestIdSource ids,
                                   SslContext tls) throws IOException {
        EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("text-gateway-accept"), NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                new DefaultThreadFactory("text-gateway"), NioIoHandler.newFactory());
        GatewayStats stats = new GatewayStats();
        BufferBudget budget = new BufferBudget(limits.maxBufferedBytes());
        AtomicInteger open = new AtomicInteger();
        ChannelGroup connections = new DefaultChannelGroup("text-gateway", acceptor.next());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Idle connections are kept forever; keepalive only reaps peers that vanished.
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                // A client that shuts its output down after its last command still gets every reply.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        if (open.incrementAndGet() > limits.maxConnections()) {
                            open.decrementAndGet();
                            stats.refused();
                            channel.pipeline().addLast(new RefuseConnection());
                            return;
                        }
                        channel.closeFuture().addListener(f -> open.decrementAndGet());
                        connections.add(channel);
                        if (tls != null) channel.pipeline().addLast(tls.newHandler(channel.alloc()));
                        channel.pipeline().addLast(new TextConnection(api, ids, limits, stats, budget));
                    }
                });
        ChannelFuture bound;
        try {
            bound = bootstrap.bind(host, port).awaitUninterruptibly();
        } catch (RuntimeException e) { // an unresolvable host fails before the future exists
            shutDown(acceptor, workers);
            throw new IOException("text gateway cannot listen on " + host + ":" + port + ": " + e, e);
        }
        if (!bound.isSuccess()) {
            shutDown(acceptor, workers);
            Throwable cause = bound.cause();
            throw new IOException("text gateway cannot listen on " + host + ":" + port + ": "
                    + (cause.getMessage() != null ? cause.getMessage() : cause.toString()), cause);
        }
        TextServer server = new TextServer(acceptor, workers, bound.channel(), connections, stats, budget);
        log.info("text gateway listening on {}", server.address());
        return server;
    }

    /** Answers a connection over maxConnections with one line, then closes it. */
    private static final class RefuseConnection extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            log.debug("text gateway: refusing {}: maxConnections reached", ctx.channel().remoteAddress());
            ctx.writeAndFlush(Unpooled.wrappedBuffer(TextReplies.ERR_SERVER_BUSY.asReadOnlyByteBuffer()))
                    .addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The bound port, useful after binding port 0. */
    public int port() {
        return address().getPort();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    public GatewayStats stats() {
        return stats;
    }

    /** Bytes of values still arriving, held now across all connections (see {@link GatewayLimits#maxBufferedBytes}). */
    public long bufferedBytes() {
        return budget.used();
    }

    /** {@link #close(Duration)} with {@link #DEFAULT_CLOSE_GRACE}. */
    @Override
    public void close() {
        close(DEFAULT_CLOSE_GRACE);
    }

    /**
     * Stops accepting, lets each connection answer what it has pending (reading nothing more) for
     * up to {@code grace}, then closes whatever is left and stops the threads. Idempotent.
     */
    public void close(Duration grace) {
        if (!closed.compareAndSet(false, true)) return; // idempotent: the event loops are gone after the first
        listener.close().awaitUninterruptibly();
        for (Channel channel : connections) {
            channel.pipeline().fireUserEventTriggered(TextConnection.DRAIN_AND_CLOSE);
        }
        if (!connections.newCloseFuture().awaitUninterruptibly(grace.toMillis())) {
            log.warn("text gateway: {} connections still busy after {}; closing them", connections.size(), grace);
        }
        connections.close().awaitUninterruptibly();
        shutDown(acceptor, workers);
    }

    private static void shutDown(EventLoopGroup acceptor, EventLoopGroup workers) {
        Future<?> a = acceptor.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        Future<?> w = workers.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        a.awaitUninterruptibly();
        w.awaitUninterruptibly();
    }
}
