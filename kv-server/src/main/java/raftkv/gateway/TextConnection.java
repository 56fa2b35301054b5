package raftkv.gateway;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.kv.RequestId;
import raftkv.node.KvApi;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;

/**
 * One client connection: decodes its bytes, runs its commands through {@link KvApi} (concurrently,
 * but in program order per key, see {@link KeyLanes}), and writes the replies strictly in request
 * order although the futures complete in any order.
 *
 * <p>Threading: every field is touched only on the channel's event loop; KvApi completes futures
 * on its own threads, and their outcomes hop back to the loop before anything else happens.
 *
 * <p>Backpressure: at most {@code maxPendingCommands} items are pending per connection; commands
 * start only while the bytes of their values and of replies not yet written (a running read
 * counting as a maximal value) fit {@code maxPendingBytes}; and replies are written only while the
 * channel is writable. When a limit is hit or the client stops reading, the connection stops
 * reading from its socket (bytes already read wait, undecoded, in {@link #unread}) and resumes
 * once half the budget is free.
 */
final class TextConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TextConnection.class);

    /** Fired by {@link TextServer#close()}: answer what is pending, read nothing more, then close. */
    static final Object DRAIN_AND_CLOSE = new Object();
    // Room reserved for a reply's own bytes (status line, VALUE header), besides any value.
    private static final long REPLY_OVERHEAD = 64;

    private final KvApi api;
    private final RequestIdSource ids;
    private final GatewayLimits limits;
    private final GatewayStats stats;
    private final BufferBudget budget;
    private final TextDecoder decoder;
    // What this connection has taken from the budget: the decoder's buffer as last seen.
    private long budgeted;
    // In request order. Invariant: size() <= limits.maxPendingCommands().
    private final ArrayDeque<PendingCommand> queue = new ArrayDeque<>();
    private final KeyLanes lanes = new KeyLanes();
    // Released by their lanes, waiting for reply room; earliest request first.
    private final PriorityQueue<PendingCommand> startable =
            new PriorityQueue<>(Comparator.comparingLong((PendingCommand c) -> c.seq));
    // Read from the socket but not yet decoded, because the queue was full.
    private final ArrayDeque<ByteBuf> unread = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    // Sum of PendingCommand.bytes over the queue.
    private long pendingBytes;
    // Reply room reserved for the commands running in KvApi.
    private long reserved;
    private long nextSeq;
    private boolean readingPaused;
    // No more commands will be taken: the client shut its output down, the framing was lost, or
    // the server is closing. The connection closes once the queue is answered.
    private boolean inputEnded;
    private boolean closing;
    private boolean closed;
    private boolean unflushed;

    TextConnection(KvApi api, RequestIdSource ids, GatewayLimits limits, GatewayStats stats, BufferBudget budget) {
        this.api = api;
        this.ids = ids;
        this.limits = limits;
        this.stats = stats;
        this.budget = budget;
        this.decoder = new TextDecoder(limits.maxValueBytes(), limits.maxLineBytes());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        stats.connectionOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        stats.connectionClosed();
        setReadingPaused(false);
        discardUnread();
        budget.give(budgeted);
        budgeted = 0;
        // Commands in flight still complete; their outcomes are dropped. Waiting ones never start.
        queue.clear();
        startable.clear();
        pendingBytes = 0;
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || inputEnded || closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        unread.addLast(buf);
        pump();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        pump();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            inputEnded = true; // bytes already read are still answered
            pump();
        } else if (event == DRAIN_AND_CLOSE) {
            inputEnded = true;
            discardUnread();
            pump();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("text connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("text connection {}: unexpected error, closing it", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    /** Makes all the progress possible now: decode, write, flow control, close when done. */
    private void pump() {
        if (closed) {
            return;
        }
        boolean progress = true;
        while (progress) {
            progress = decodeUnread() | startCommands() | writeReplies();
        }
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
        if (inputEnded && queue.isEmpty() && unread.isEmpty() && !closing) {
            closing = true;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        boolean full = !unread.isEmpty() || !ctx.channel().isWritable()
                || queue.size() >= limits.maxPendingCommands() || pendingBytes >= limits.maxPendingBytes();
        boolean lowWater = queue.size() <= limits.maxPendingCommands() / 2
                && pendingBytes <= limits.maxPendingBytes() / 2;
        if (full) {
            setReadingPaused(true);
        } else if (lowWater || !readingPaused) {
            setReadingPaused(inputEnded);
        }
    }

    private void setReadingPaused(boolean paused) {
        if (paused != readingPaused) {
            readingPaused = paused;
            stats.paused(paused);
            if (!closed) {
                ctx.channel().config().setAutoRead(!paused);
            }
        }
    }

    /** Decodes held bytes while the queue has room; true if anything was consumed. */
    private boolean decodeUnread() {
        boolean progress = false;
        while (!unread.isEmpty() && !shuttingDown()) {
            int room = limits.maxPendingCommands() - queue.size();
            if (room <= 0 || (pendingBytes >= limits.maxPendingBytes() && !queue.isEmpty())) {
                return progress;
            }
            ByteBuf buf = unread.peekFirst();
            List<Decoded> items;
            try {
                ByteBuffer nio = buf.nioBuffer();
                int start = nio.position();
                items = decoder.feed(nio, room);
                buf.skipBytes(nio.position() - start);
            } catch (RuntimeException e) {
                // A decoder bug: the framing is lost, so no later byte of this stream can be trusted.
                log.warn("text connection {}: decoder failed, answering ERR_INTERNAL and closing",
                        ctx.channel().remoteAddress(), e);
                PendingCommand broken = enqueue(DecodeError.cmdErr(false, "decoder failure"));
                broken.finish(TextReplies.ERR_INTERNAL);
                inputEnded = true;
                discardUnread();
                return true;
            }
            for (Decoded item : items) {
                accept(item);
            }
            if (!chargeBuffer()) {
                return true;
            }
            if (!buf.isReadable()) {
                unread.pollFirst().release();
            }
            progress = true;
        }
        return progress;
    }

    /**
     * Brings the budget up to date with the decoder's buffer. False if the buffer has grown past
     * what the server-wide budget has left: then the partial command is dropped, the client gets
     * ERR_SERVER_BUSY after the replies it is owed, and the connection closes.
     */
    private boolean chargeBuffer() {
        long now = decoder.bufferedBytes();
        long growth = now - budgeted;
        if (growth <= 0) {
            budget.give(-growth);
            budgeted = now;
            return true;
        }
        if (budget.tryTake(growth)) {
            budgeted = now;
            return true;
        }
        decoder.abandon();
        budget.give(budgeted);
        budgeted = 0;
        stats.overBudget();
        log.debug("text connection {}: its unfinished command does not fit the gateway's budget of buffered bytes; closing it",
                ctx.channel().remoteAddress());
        enqueue(DecodeError.cmdErr(false, "over the buffer budget")).finish(TextReplies.ERR_SERVER_BUSY);
        inputEnded = true;
        discardUnread();
        return false;
    }

    private boolean shuttingDown() {
        return closing || closed;
    }

    private void accept(Decoded item) {
        PendingCommand pending = enqueue(item);
        if (item instanceof DecodeError error) {
            log.debug("text connection {}: {}", ctx.channel().remoteAddress(), error.reason());
            pending.finish(TextReplies.error(error));
            return;
        }
        pending.bytes = valueSize((TextCommand) item);
        charge(pending.bytes);
        startable.addAll(lanes.admit(pending));
    }

    private PendingCommand enqueue(Decoded item) {
        PendingCommand pending = new PendingCommand(item, nextSeq++);
        queue.addLast(pending);
        stats.decoded(queue.size());
        return pending;
    }

    /**
     * Starts released commands, earliest first, while their replies fit the byte budget. A read
     * reserves room for the largest value, because its reply size is unknown until it completes;
     * so with the defaults about 16 reads of one connection run at once, and completed replies that
     * the client does not read stop further starts. The oldest pending command always starts: the
     * replies behind it wait for it, so the connection never stalls on its own budget, and memory
     * stays within maxPendingBytes plus one value.
     */
    private boolean startCommands() {
        boolean progress = false;
        while (!startable.isEmpty() && !shuttingDown()) {
            PendingCommand next = startable.peek();
            long need = REPLY_OVERHEAD + (((TextCommand) next.decoded).isWrite() ? 0 : limits.maxValueBytes());
            if (next != queue.peekFirst() && pendingBytes + reserved + need > limits.maxPendingBytes()) {
                break;
            }
            startable.poll();
            next.reserved = need;
            reserved += need;
            start(next);
            progress = true;
        }
        return progress;
    }

    private void start(PendingCommand pending) {
        TextCommand command = (TextCommand) pending.decoded;
        RequestIdSource.Lease lease = command.isWrite() ? ids.acquire() : null;
        CompletableFuture<KvResult> future;
        try {
            future = api.execute(toKvRequest(command, lease == null ? RequestId.NONE : lease.requestId()));
            if (future == null) {
                throw new IllegalStateException("KvApi.execute returned null");
            }
        } catch (RuntimeException e) {
            log.warn("KvApi.execute failed; answering ERR_INTERNAL", e);
            future = CompletableFuture.completedFuture(new KvResult.Internal(e.toString()));
        }
        EventExecutor loop = ctx.executor();
        future.whenComplete((result, error) -> {
            if (lease != null) {
                lease.release();
            }
            KvResult outcome = result;
            if (error != null || result == null) {
                log.warn("KvApi future failed; answering ERR_INTERNAL", error);
                outcome = new KvResult.Internal(String.valueOf(error));
            }
            KvResult finalOutcome = outcome;
            try {
                loop.execute(() -> finished(pending, finalOutcome));
            } catch (RejectedExecutionException e) {
                // The server is shutting down and this connection with it: nobody awaits the reply.
            }
        });
    }

    private void finished(PendingCommand pending, KvResult outcome) {
        if (closed) {
            return;
        }
        reserved -= pending.reserved;
        TextCommand command = (TextCommand) pending.decoded;
        ByteString reply;
        try {
            reply = TextReplies.reply(command, outcome);
        } catch (RuntimeException e) {
            log.warn("cannot render the reply to a text command; answering ERR_INTERNAL", e);
            reply = TextReplies.ERR_INTERNAL;
        }
        charge(-pending.bytes);
        pending.finish(reply);
        pending.bytes = pending.reply == null ? 0 : pending.reply.size();
        charge(pending.bytes);
        startable.addAll(lanes.finish(pending));
        pump();
    }

    /** Writes the replies at the head of the queue that are ready, while the client keeps up. */
    private boolean writeReplies() {
        boolean progress = false;
        while (!queue.isEmpty() && queue.peekFirst().done && ctx.channel().isWritable()) {
            PendingCommand pending = queue.pollFirst();
            charge(-pending.bytes);
            progress = true;
            if (pending.reply != null) {
                List<ByteBuffer> parts = pending.reply.asReadOnlyByteBufferList();
                ctx.write(Unpooled.wrappedBuffer(parts.toArray(new ByteBuffer[0])), ctx.voidPromise());
                unflushed = true;
                ChannelOutboundBuffer outbound = ctx.channel().unsafe().outboundBuffer();
                if (outbound != null) {
                    stats.outbound(outbound.totalPendingWriteBytes());
                }
            }
        }
        return progress;
    }

    private void charge(long bytes) {
        pendingBytes += bytes;
        if (bytes > 0) {
            stats.holding(pendingBytes);
        }
    }

    private void discardUnread() {
        for (ByteBuf buf : unread) {
            buf.release();
        }
        unread.clear();
    }

    private static long valueSize(TextCommand command) {
        if (command instanceof TextCommand.Set set) {
            return set.value().size();
        }
        return command instanceof TextCommand.Cas cas ? cas.value().size() : 0;
    }

    private static KvRequest toKvRequest(TextCommand command, RequestId requestId) {
        if (command instanceof TextCommand.Set s) {
            return new KvRequest.Set(s.key(), s.value(), s.exptime(), requestId);
        } else if (command instanceof TextCommand.Cas c) {
            return new KvRequest.Cas(c.key(), c.version(), c.value(), c.exptime(), requestId);
        } else if (command instanceof TextCommand.Delete d) {
            return new KvRequest.Delete(d.key(), requestId);
        } else if (command instanceof TextCommand.Get g) {
            return new KvRequest.Get(g.key());
        } else {
            return new KvRequest.GetMeta(command.key());
        }
    }
}
