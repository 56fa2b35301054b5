package raftkv.gateway;

import java.security.SecureRandom;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import raftkv.kv.RequestId;

/**
 * Request ids for the text gateway's writes, one source per node. The text protocol carries no
 * request id (SPEC 5); the gateway gives each write one so that the node's own retries of it
 * (after a leader change, say) take effect at most once.
 *
 * <p>kv.proto's contract is that a client id has at most one write in flight, because the cluster
 * remembers only the newest sequence per client id. So ids are leased: {@link #acquire()} hands out
 * a client id that has no write in flight, with its next sequence, and {@link Lease#release()}
 * returns it once the write's outcome is known. Client ids are pooled per node rather than made per
 * connection, so the replicated session table grows with the node's peak number of concurrent text
 * writes, not with every connection ever opened. Thread-safe.
 */
public final class RequestIdSource {
    private final LongSupplier random;
    // Client ids with no write in flight; most recently used first, so few ids stay active.
    private final ConcurrentLinkedDeque<Client> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger created = new AtomicInteger();

    /** Client ids from a {@link SecureRandom}. */
    public RequestIdSource() {
        this(new SecureRandom()::nextLong);
    }

    /** Client ids from {@code random}; zero values are drawn again. */
    public RequestIdSource(LongSupplier random) {
        this.random = random;
    }

    /** A request id whose client id has no other write in flight; release it when the write is done. */
    public Lease acquire() {
        Client client = idle.pollFirst();
        if (client == null) {
            long id = random.getAsLong();
            while (id == 0) {
                id = random.getAsLong();
            }
            client = new Client(id);
            created.incrementAndGet();
        }
        client.sequence++;
        return new Lease(client, new RequestId(client.id, client.sequence));
    }

    /** How many client ids this source has made: its peak number of concurrent leases. */
    public int clientIds() {
        return created.get();
    }

    /** One write's request id. */
    public final class Lease {
        private final Client client;
        private final RequestId requestId;
        private boolean released;

        private Lease(Client client, RequestId requestId) {
            this.client = client;
            this.requestId = requestId;
        }

        public RequestId requestId() {
            return requestId;
        }

        /** The write's outcome is known; its client id may carry the next write. Idempotent. */
        public synchronized void release() {
            if (!released) {
                released = true;
                idle.offerFirst(client);
            }
        }
    }

    // Invariant: sequence only grows; it is touched only by the holder of the client's one lease,
    // and the deque hands a client from one holder to the next with a happens-before edge.
    private static final class Client {
        final long id;
        long sequence;

        Client(long id) {
            this.id = id;
        }
    }
}
