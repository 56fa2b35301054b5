package raftkv.transport;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;

/**
 * The network threads of every gRPC server and channel of the process: one event loop group of
 * half as many threads as there are processors (at least one), native epoll where Netty has it.
 *
 * <p>grpc-java's default gives servers and channels twice as many threads as processors, each
 * connection on one of them. A node's calls hand work between connections all the time (a
 * forwarded command arrives on one and leaves on another, its answer comes back the other way;
 * the node's AppendEntries go out on one per peer), and on different threads each hand-off wakes
 * a thread. With fewer threads more hand-offs stay on the thread that makes them: on the 2-core
 * bench machine, one thread instead of four cut context switches per write from 7.3 to 5.8 and
 * the nodes' CPU per write by about 15% (README, Performance).
 *
 * <p>The threads are daemons and live as long as the process; the group is shared by every node
 * a test runs in one JVM.
 */
public final class NetLoops {
    private NetLoops() {}

    static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    private static final boolean EPOLL = Epoll.isAvailable();
    /** The group, made on first use (class initialisation is lazy and thread-safe, with no lock after it). */
    private static final class Group {
        static final EventLoopGroup INSTANCE = new MultiThreadIoEventLoopGroup(THREADS,
                new DefaultThreadFactory("raftkv-net", true), EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    private static EventLoopGroup group() {
        return Group.INSTANCE;
    }

    /**
     * Runs {@code task} on a network thread: at once after the current event loop's pending work
     * if the caller is on one (so that what the caller's other events add by then goes with it,
     * without waking any thread), on the next thread of the group otherwise.
     */
    public static void execute(Runnable task) {
        for (EventExecutor loop : group()) {
            if (loop.inEventLoop()) {
                loop.execute(task);
                return;
            }
        }
        group().next().execute(task);
    }

    /** {@code builder} with the shared threads accepting and serving its connections. */
    public static NettyServerBuilder server(NettyServerBuilder builder) {
        return builder.bossEventLoopGroup(group()).workerEventLoopGroup(group())
                .channelType(EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class);
    }

    /** {@code builder} with its connection on the shared threads. */
    public static NettyChannelBuilder channel(NettyChannelBuilder builder) {
        return builder.eventLoopGroup(group()).channelType(EPOLL ? EpollSocketChannel.class : NioSocketChannel.class);
    }
}
