package raftkv.api;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;
import raftkv.node.KvService;
import raftkv.proto.forward.ForwardBatch;
import raftkv.proto.forward.ForwardReplies;
import raftkv.proto.forward.ForwardedCommand;
import raftkv.proto.forward.ForwardedReply;
import raftkv.proto.forward.LeaderForwardGrpc;
import raftkv.transport.NetLoops;

/**
 * The leader's side of forward.proto: executes each forwarded command with the node's
 * {@link KvService}, as a KeyValue call with the raftkv-forwarded header is executed (here or not at
 * all), and answers in batches.
 *
 * <p>Flow control, per stream: a reply message is sent only while the transport is ready (the
 * replies completed meanwhile wait as results and go together in the next message), and the next
 * batch of commands is read only while fewer than {@code maxInFlight} commands of the stream are
 * running, so a stream holds no more than the concurrent-call cap allows a connection of unary
 * calls (plus one batch).
 */
public final class LeaderForwardService extends LeaderForwardGrpc.LeaderForwardImplBase implements AutoCloseable {
    private final KvService service;
    // Sends reply messages, on a network thread (a send from the node's thread would hand the
    // message to one anyway). Replies that complete while a send is queued or running (those of one
    // applied batch of log entries, say) go in the same message.
    private final Executor sender = NetLoops::execute;
    private volatile boolean closed;
    private final int maxInFlight;
    private final int maxMessageBytes;

    /**
     * @param maxInFlight     commands one stream may have running before it stops reading batches
     * @param maxMessageBytes the largest message the follower accepts
     */
    public LeaderForwardService(KvService service, int maxInFlight, int maxMessageBytes) {
        this.service = service;
        this.maxInFlight = maxInFlight;
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public StreamObserver<ForwardBatch> forward(StreamObserver<ForwardReplies> out) {
        Stream stream = new Stream((ServerCallStreamObserver<ForwardReplies>) out);
        stream.start();
        return stream;
    }

    private final class Stream implements StreamObserver<ForwardBatch> {
        private final ServerCallStreamObserver<ForwardReplies> call;
        // Refused only while shutting down: the server then cancels the stream.
        private final QueuedFlush queuedFlush = new QueuedFlush(sender, this::flush, () -> { });
        // Guarded by this.
        private final ArrayDeque<ForwardedReply> replies = new ArrayDeque<>();
        private int running;
        private boolean readPaused;
        private boolean sending;
        private boolean halfClosed;
        private boolean finished;

        Stream(ServerCallStreamObserver<ForwardReplies> call) {
            this.call = call;
        }

        void start() {
            call.disableAutoRequest();
            call.setOnReadyHandler(this::flush);
            call.setOnCancelHandler(() -> {
                synchronized (this) {
                    finished = true;
                    replies.clear();
                }
            });
            call.request(1);
        }

        @Override
        public void onNext(ForwardBatch batch) {
            synchronized (this) {
                running += batch.getCommandsCount();
            }
            for (ForwardedCommand command : batch.getCommandsList()) {
                long callId = command.getCallId();
                Object decoded = ForwardCodec.decode(command);
                if (decoded instanceof KvResult invalid) {
                    completed(callId, invalid);
                } else if (command.getTimeoutMicros() == 0) {
                    // The follower has stopped waiting: it answered "request timeout" already.
                    completed(callId, new KvResult.Unavailable("request timeout", null));
                } else {
                    service.execute((KvRequest) decoded, false).whenComplete((r, error) ->
                            completed(callId, error == null ? r : new KvResult.Internal(error.toString())));
                }
            }
            boolean more;
            synchronized (this) {
                more = running < maxInFlight && !finished;
                readPaused = !more;
            }
            if (more) call.request(1);
        }

        private void completed(long callId, KvResult result) {
            ForwardedReply reply = ForwardCodec.encode(callId, result);
            boolean resume;
            synchronized (this) {
                running--;
                if (finished) return;
                replies.addLast(reply);
                resume = readPaused && running < maxInFlight;
                if (resume) readPaused = false;
            }
            if (resume) call.request(1);
            queueFlush();
        }

        private void queueFlush() {
            if (closed) return; // shutting down: the server cancels the stream
            queuedFlush.request();
        }

        /** Sends what has completed, one message at a time, while the transport takes it. */
        private void flush() {
            while (true) {
                ForwardReplies message;
                boolean close;
                synchronized (this) {
                    if (sending || finished) return;
                    close = halfClosed && running == 0 && replies.isEmpty();
                    if (!close && (replies.isEmpty() || !call.isReady())) return;
                    sending = true;
                    if (close) {
                        finished = true;
                        message = null;
                    } else {
                        message = take();
                    }
                }
                try {
                    if (close) {
                        call.onCompleted();
                        return;
                    }
                    call.onNext(message);
                } finally {
                    synchronized (this) {
                        sending = false;
                    }
                }
            }
        }

        /** The waiting replies that fit in one message (always at least one). Caller holds the lock. */
        private ForwardReplies take() {
            return ForwardReplies.newBuilder().addAllReplies(ForwardCodec.takeFitting(replies, maxMessageBytes)).build();
        }

        @Override
        public void onError(Throwable t) {
            synchronized (this) {
                finished = true;
                replies.clear();
            }
        }

        @Override
        public void onCompleted() {
            synchronized (this) {
                halfClosed = true;
            }
            queueFlush();
        }
    }
}
