package raftkv.cli;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per endpoint, made on first use and shut down together by {@link #close()}.
 *
 * <p>The channels share an event loop group of their own rather than gRPC's shared one, which
 * outlives its last channel by a second: {@link #close()} ends its threads, so a one-shot kvctl
 * exits at once instead of waiting for a thread still parked in epoll (the JVM gives threads in
 * native code up to 300 ms to settle when it exits).
 */
final class Channels implements AutoCloseable {
    private final int maxMessageBytes;
    private final String userAgent;
    private final ChannelCredentials credentials;
    private final Map<Endpoint, ManagedChannel> channels = new ConcurrentHashMap<>();
    // Threads start lazily, one per channel at most, up to Netty's default (twice the cores).
    private final EventLoopGroup eventLoops =
            new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("kvctl-grpc", true), NioIoHandler.newFactory());

    /** @param maxMessageBytes the largest message accepted from a server (kv.proto "Message size") */
    Channels(int maxMessageBytes, String userAgent) {
        this(maxMessageBytes, userAgent, InsecureChannelCredentials.create());
    }

    /** @param credentials plaintext, or TLS ({@link ClientTls}): the host name of each endpoint is verified */
    Channels(int maxMessageBytes, String userAgent, ChannelCredentials credentials) {
        this.maxMessageBytes = maxMessageBytes;
        this.userAgent = userAgent;
        this.credentials = credentials;
    }

    ManagedChannel get(Endpoint endpoint) {
        return channels.computeIfAbsent(endpoint, e -> NettyChannelBuilder.forAddress(e.host(), e.port(), credentials)
                .eventLoopGroup(eventLoops)
                .channelType(NioSocketChannel.class)
                .maxInboundMessageSize(maxMessageBytes)
                .userAgent(userAgent)
                .build());
    }

    /** Graceful: lets calls still in flight end, for at most a few seconds, then cuts them. */
    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdown);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (ManagedChannel c : channels.values()) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !c.awaitTermination(left, TimeUnit.NANOSECONDS)) c.shutdownNow();
            } catch (InterruptedException e) {
                c.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        channels.clear();
        // No quiet period: every channel is closed, nothing will submit work again.
        eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
}
