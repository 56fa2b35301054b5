package raftkv.cli;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One gRPC channel per endpoint, made on first use and shut down together by {@link #close()}. */
final class Channels implements AutoCloseable {
    private final int maxMessageBytes;
    private final String userAgent;
    private final ChannelCredentials credentials;
    private final Map<Endpoint, ManagedChannel> channels = new ConcurrentHashMap<>();

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
    }
}
