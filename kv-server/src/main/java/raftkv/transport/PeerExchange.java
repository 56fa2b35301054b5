package raftkv.transport;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.proto.raft.PeerMessage;
import raftkv.proto.raft.RaftPeerGrpc.RaftPeerStub;

/**
 * The sending side of one peer's {@code Exchange} stream (raft.proto): opened on the first message,
 * kept while it lasts, opened again on the next message after it ends. Messages go out in the order
 * {@link #send} is called; while more than the stream's ready threshold waits to be written, or
 * before the peer has said the stream is served and a few messages are already waiting, a message is
 * refused (the caller drops it: Raft retries). The peer's answers and the stream's end go to a
 * {@link Listener}, on the network threads.
 *
 * <p>Thread-safe: {@link #send} may be called from any thread; writes to the stream are serialized.
 */
final class PeerExchange {
    private static final Logger log = LoggerFactory.getLogger(PeerExchange.class);

    /**
     * Messages written to a stream the peer has not yet said it serves (its empty first message):
     * enough for a leader's first heartbeat and appends, few enough that a peer that never answers
     * holds little.
     */
    static final int MAX_BEFORE_SERVED = 64;

    /** What becomes of the stream. Runs on the network threads; must not block. */
    interface Listener {
        /** The peer's empty first message: the stream is open and served. */
        void served();

        /** An answer (vote_response or append_response), or any other body the peer sent. */
        void answer(PeerMessage message);

        /** The stream ended: {@code status} OK if the peer ended it normally. */
        void ended(Status status);
    }

    private final RaftPeerStub stub;
    private final Listener listener;

    // Guarded by this. The stream open now, or null; written to under this lock only.
    private ClientCallStreamObserver<PeerMessage> stream;
    // Guarded by this. Whether the peer sent its first message on the current stream, and how many
    // messages went out on it before that.
    private boolean served;
    private int sentBeforeServed;
    private boolean closed;

    /** @param stub a stub with the ready threshold set (the bound on bytes waiting to be written) */
    PeerExchange(RaftPeerStub stub, Listener listener) {
        this.stub = stub;
        this.listener = listener;
    }

    /** Writes {@code message}, opening a stream first if none is open; false if it must be dropped. */
    synchronized boolean send(PeerMessage message) {
        if (closed) return false;
        if (stream == null) open();
        if (stream == null) return false;
        if (served ? !stream.isReady() : sentBeforeServed >= MAX_BEFORE_SERVED) return false;
        if (!served) sentBeforeServed++;
        try {
            stream.onNext(message);
            return true;
        } catch (RuntimeException e) {
            // The call already failed (its end is on its way to the response observer).
            log.debug("a message on a failed stream: {}", e.toString());
            return false;
        }
    }

    /** Ends the current stream (half-close) and refuses messages from now on. */
    synchronized void close() {
        closed = true;
        if (stream == null) return;
        try {
            stream.onCompleted();
        } catch (RuntimeException e) {
            log.debug("closing a failed stream: {}", e.toString());
        }
        stream = null;
    }

    private void open() {
        served = false;
        sentBeforeServed = 0;
        Responses responses = new Responses();
        stream = (ClientCallStreamObserver<PeerMessage>) stub.exchange(responses);
        // A call that failed at once (channel shut down) ended before it became the current stream.
        if (responses.ended) stream = null;
    }

    /** Called by a stream's response observer: forgets the stream if it is still the current one. */
    private synchronized boolean forget(ClientCallStreamObserver<PeerMessage> ended) {
        if (stream != ended) return false;
        stream = null;
        return true;
    }

    private synchronized boolean markServed(ClientCallStreamObserver<PeerMessage> s) {
        if (stream != s || served) return false;
        served = true;
        return true;
    }

    /** One stream's answers. */
    private final class Responses implements ClientResponseObserver<PeerMessage, PeerMessage> {
        private ClientCallStreamObserver<PeerMessage> requests;
        private volatile boolean ended;

        @Override
        public void beforeStart(ClientCallStreamObserver<PeerMessage> requests) {
            this.requests = requests;
        }

        @Override
        public void onNext(PeerMessage message) {
            if (message.getBodyCase() == PeerMessage.BodyCase.BODY_NOT_SET) {
                if (markServed(requests)) listener.served();
                return;
            }
            listener.answer(message);
        }

        @Override
        public void onError(Throwable t) {
            ended = true;
            forget(requests);
            listener.ended(PeerLink.statusOf(t));
        }

        @Override
        public void onCompleted() {
            // The peer ended the stream (it is stopping): the next message opens another.
            ended = true;
            forget(requests);
            listener.ended(Status.OK);
        }
    }
}
