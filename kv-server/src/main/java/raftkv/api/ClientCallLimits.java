package raftkv.api;

import com.google.protobuf.MessageLite;
import io.grpc.Attributes;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds what gRPC clients can make a node hold (SPEC section 11), beside the per-connection cap on
 * concurrent calls that the server itself enforces (PeerServer):
 *
 * <ul>
 *   <li>Connections: a transport that becomes ready while {@code maxConnections} are open is
 *       refused: each of its client calls gets UNAVAILABLE (its client should go elsewhere or
 *       reconnect later), and it holds no slot. Peer connections count, but peer traffic never
 *       passes through this interceptor, so Raft is never refused.
 *   <li>Replies: gRPC serializes a reply into memory as soon as it is sent, and keeps it there until
 *       the transport has written it, which HTTP/2 flow control allows only while the client's window
 *       has room. Each connection may have {@code maxReplyBytesPerConnection} of replies sent but not
 *       yet completed (one reply always goes, whatever its size); its later replies wait, holding only
 *       a reference to the result, until an earlier call completes or is cancelled. So a client whose
 *       window is full pins one connection's worth on the node, and never delays other connections.
 *       What this cannot bound is the client's own memory: a call completes once its reply is in the
 *       client's transport, read by the application or not. A grpc-java client with its defaults
 *       refills its connection window as data arrives and grows each call's window up to 8 MiB (BDP),
 *       so if it starts thousands of Gets of a large value and never reads them, it is sent all of
 *       them, into its own buffers, at the pace of a client that reads. HTTP/2 tells the server
 *       nothing about what the application has read.
 * </ul>
 *
 * A bidirectional stream (forward.proto's Forward) is admitted or refused with its connection, but
 * its replies are not metered by the byte budget: it sends only while its transport is ready.
 *
 * Add {@link #transportFilter()} to the server and this interceptor to the client service.
 */
public final class ClientCallLimits implements ServerInterceptor {
    private static final Attributes.Key<Connection> CONNECTION = Attributes.Key.create("raftkv-connection");

    private final int maxConnections;
    private final long maxReplyBytesPerConnection;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refusedCalls = new AtomicLong();

    public ClientCallLimits(int maxConnections, long maxReplyBytesPerConnection) {
        if (maxConnections < 1 || maxReplyBytesPerConnection < 1) {
            throw new IllegalArgumentException("limits must be positive: " + maxConnections + ", " + maxReplyBytesPerConnection);
        }
        this.maxConnections = maxConnections;
        this.maxReplyBytesPerConnection = maxReplyBytesPerConnection;
    }

    /** Counts connections; every transport of the server passes through it. */
    public ServerTransportFilter transportFilter() {
        return new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attrs) {
                // A refused connection holds no slot: it cannot keep later clients out.
                boolean over = open.incrementAndGet() > maxConnections;
                if (over) open.decrementAndGet();
                return attrs.toBuilder().set(CONNECTION, new Connection(over)).build();
            }

            @Override
            public void transportTerminated(Attributes attrs) {
                Connection c = attrs == null ? null : attrs.get(CONNECTION);
                if (c != null && !c.over) open.decrementAndGet();
            }
        };
    }

    /** Open connections that were admitted, peers' included. */
    public int connections() {
        return open.get();
    }

    /** Client calls refused since start because their connection was over the cap. */
    public long refusedCalls() {
        return refusedCalls.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Connection connection = call.getAttributes().get(CONNECTION);
        if (connection == null) {
            return next.startCall(call, headers); // no filter installed (in-process tests)
        }
        if (connection.over) {
            refusedCalls.incrementAndGet();
            call.close(Status.UNAVAILABLE.withDescription("too many connections to this node (maxConnections "
                    + maxConnections + "); try another node or later"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        if (call.getMethodDescriptor().getType() == io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING) {
            // A long-lived stream of many replies (forward.proto) paces itself: it sends only while
            // the transport is ready and holds its other replies as results. The byte budget,
            // which is given back only when a call ends, cannot meter it.
            return next.startCall(call, headers);
        }
        Budgeted<Q, R> budgeted = new Budgeted<>(call, connection);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(budgeted, headers)) {
            @Override
            public void onComplete() {
                budgeted.finished();
                super.onComplete();
            }

            @Override
            public void onCancel() {
                budgeted.finished();
                super.onCancel();
            }
        };
    }

    /** One connection's reply bytes in flight, and the calls waiting for room. */
    private final class Connection {
        final boolean over;
        // Guarded by this.
        long inFlight;
        final ArrayDeque<Budgeted<?, ?>> waiting = new ArrayDeque<>();

        Connection(boolean over) {
            this.over = over;
        }

        /** Takes room for {@code bytes} if it fits, or if nothing is in flight (so any reply can go). */
        synchronized boolean tryTake(long bytes) {
            if (inFlight > 0 && inFlight + bytes > maxReplyBytesPerConnection) return false;
            inFlight += bytes;
            return true;
        }

        void give(long bytes) {
            synchronized (this) {
                inFlight -= bytes;
            }
            drain();
        }

        synchronized void enqueue(Budgeted<?, ?> call) {
            waiting.addLast(call);
        }

        /** Sends waiting replies, oldest first, while they fit. */
        void drain() {
            while (true) {
                Budgeted<?, ?> first;
                synchronized (this) {
                    first = waiting.peekFirst();
                    if (first == null) return;
                    if (!first.pending()) {
                        waiting.pollFirst();
                        continue;
                    }
                    if (!tryTake(first.heldBytes)) return;
                    waiting.pollFirst();
                }
                first.release();
            }
        }
    }

    /** A call whose reply is sent only once its connection has room for it. */
    private static final class Budgeted<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private final Connection connection;
        // Guarded by this.
        private long charged;
        private R held;
        private long heldBytes;
        private Status heldStatus;
        private Metadata heldTrailers;
        private boolean finished;
        // True while a reply waits for room. Volatile, so the connection reads it without this
        // call's lock: locks are taken call then connection, never the other way.
        private volatile boolean waitingForRoom;

        Budgeted(ServerCall<Q, R> call, Connection connection) {
            super(call);
            this.connection = connection;
        }

        @Override
        public void sendMessage(R message) {
            long bytes = message instanceof MessageLite m ? m.getSerializedSize() : 0;
            synchronized (this) {
                if (finished) return;
                if (held == null && connection.tryTake(bytes)) {
                    charged += bytes;
                    super.sendMessage(message);
                    return;
                }
                held = message;
                heldBytes = bytes;
                waitingForRoom = true;
            }
            connection.enqueue(this);
            connection.drain();
        }

        @Override
        public void close(Status status, Metadata trailers) {
            synchronized (this) {
                if (held != null) {
                    heldStatus = status;
                    heldTrailers = trailers;
                    return;
                }
            }
            super.close(status, trailers);
        }

        boolean pending() {
            return waitingForRoom;
        }

        /** Room was taken for the held reply: send it, and the close that waited behind it. */
        void release() {
            long unused = 0;
            synchronized (this) {
                waitingForRoom = false;
                if (finished || held == null) {
                    unused = heldBytes; // cancelled meanwhile: give the room back
                } else {
                    charged += heldBytes;
                    R message = held;
                    held = null;
                    super.sendMessage(message);
                    if (heldStatus != null) {
                        super.close(heldStatus, heldTrailers);
                        heldStatus = null;
                        heldTrailers = null;
                    }
                }
            }
            if (unused > 0) connection.give(unused);
        }

        /** The call completed or was cancelled: its reply bytes are no longer held by gRPC. */
        void finished() {
            long give;
            synchronized (this) {
                finished = true;
                waitingForRoom = false;
                held = null;
                give = charged;
                charged = 0;
            }
            connection.give(give);
        }
    }
}
