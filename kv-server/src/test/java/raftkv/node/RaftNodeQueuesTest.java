package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.kv.KvStateMachine;
import raftkv.kv.RequestId;
import raftkv.raft.HardState;
import raftkv.raft.Message;
import raftkv.raft.RaftConfig;
import raftkv.raft.RaftCore;
import raftkv.raft.SnapshotMeta;
import raftkv.testing.Await;
import raftkv.transport.Transport;
import raftkv.wal.MemoryStorage;
import raftkv.wal.SnapshotFiles;

/**
 * Raft's own traffic has a path client load cannot block or drop (SPEC 11), and client commands
 * in flight are capped by bytes. Node 1 of three is a follower of node 2; its loop is held inside
 * the answer to a heartbeat while the test fills its client queue.
 */
class RaftNodeQueuesTest {
    private static final int ELECTION_TICKS = 10;
    private static final ByteString KEY = ByteString.copyFromUtf8("k");

    @TempDir
    Path tmp;

    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CompletableFuture<Message.VoteRequest> voteSent = new CompletableFuture<>();
    private Transport.Inbound inbound;
    private RaftNode node;

    private RaftNode start(long inflightBytes) throws Exception {
        List<Long> ids = List.of(1L, 2L, 3L);
        RaftCore core = new RaftCore(RaftConfig.of(1, ids, ELECTION_TICKS, 1), HardState.INITIAL, SnapshotMeta.NONE,
                List.of(), new SplittableRandom(3));
        MemoryStorage storage = new MemoryStorage();
        SnapshotKeeper snapshots = new SnapshotKeeper(1, SnapshotFiles.open(tmp, false), storage, 100_000, 64 << 20,
                SnapshotMeta.NONE);
        node = new RaftNode(1, core, new KvStateMachine(), storage, snapshots, new Recorder(), Clock.SYSTEM, fatal::set,
                inflightBytes, DiskReserve.none());
        node.start();
        return node;
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (node != null) node.close();
    }

    /** Sends node 2's heartbeat of term 1; the loop answers it on its own thread and waits in {@code reply}. */
    private void heartbeat(Consumer<Message> reply) {
        inbound.onRequest(new Message.AppendRequest(2, 1, 1, 0, 0, List.of(), 0, 0), reply);
    }

    /** Holds the loop until {@link #release} counts down. */
    private void holdLoop() throws Exception {
        CompletableFuture<Message> held = new CompletableFuture<>();
        heartbeat(reply -> {
            held.complete(reply);
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertInstanceOf(Message.AppendResponse.class, held.get(20, TimeUnit.SECONDS));
    }

    /** Submits gets until one is refused at once; returns the ones taken. */
    private List<CompletableFuture<NodeStep.Outcome>> fillClientQueue() {
        List<CompletableFuture<NodeStep.Outcome>> taken = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 0; i < 200_000; i++) {
            CompletableFuture<NodeStep.Outcome> f = node.submit(new KvRequest.Get(KEY), deadline);
            if (f.isDone()) {
                assertEquals(new NodeStep.Outcome.NotExecuted(1), f.join(), "refused as not executed, to be retried");
                return taken;
            }
            taken.add(f);
        }
        throw new AssertionError("200,000 client commands were queued without a refusal");
    }

    @Test
    void aFullClientQueueLosesNoTickAndRefusesNoPeer() throws Exception {
        start(Long.MAX_VALUE / 4);
        holdLoop();
        List<CompletableFuture<NodeStep.Outcome>> taken = fillClientQueue();
        assertTrue(taken.size() >= 1000, "queued " + taken.size());

        CompletableFuture<Message> answer = new CompletableFuture<>();
        heartbeat(answer::complete);
        // Enough ticks for an election timeout with no heartbeat after the one above.
        for (int i = 0; i < 3 * ELECTION_TICKS; i++) node.tick();
        release.countDown();

        Message reply = answer.get(20, TimeUnit.SECONDS);
        assertNotNull(reply, "a peer's AppendEntries was refused while clients filled the queue");
        // The ticks were all handled: node 1 times out and campaigns with no further tick.
        Message.VoteRequest vote = voteSent.get(20, TimeUnit.SECONDS);
        assertEquals(1, vote.from());
        // The queued reads are answered: a follower's reads wait for its leader's read index, and are
        // dropped (to be retried) once unanswered for an election timeout, so time must go on.
        Await.until(Duration.ofSeconds(30), "every queued read answered", () -> {
            node.tick();
            return taken.stream().allMatch(CompletableFuture::isDone);
        });
        assertEquals(null, fatal.get());
    }

    @Test
    void clientCommandsInFlightAreCappedByBytes() throws Exception {
        start(4096);
        holdLoop();
        ByteString value = ByteString.copyFrom(new byte[2000]);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        CompletableFuture<NodeStep.Outcome> first = node.submit(new KvRequest.Set(KEY, value, 0, RequestId.NONE), deadline);
        assertTrue(node.inflightBytes() > 2000);
        CompletableFuture<NodeStep.Outcome> second = node.submit(new KvRequest.Set(KEY, value, 0, RequestId.NONE), deadline);
        assertEquals(new NodeStep.Outcome.NotExecuted(1), second.getNow(null), "over the cap: refused at once");
        assertTrue(node.inflightBytes() < 4096, "a refused command holds nothing");

        // One command is always taken when nothing else is held, whatever its size.
        release.countDown();
        first.get(20, TimeUnit.SECONDS);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (node.inflightBytes() != 0) {
            assertTrue(System.nanoTime() < until, "bytes in flight never released: " + node.inflightBytes());
            Thread.yield();
        }
        ByteString big = ByteString.copyFrom(new byte[10_000]);
        CompletableFuture<NodeStep.Outcome> alone = node.submit(new KvRequest.Set(KEY, big, 0, RequestId.NONE), deadline);
        assertInstanceOf(NodeStep.Outcome.NotExecuted.class, alone.get(20, TimeUnit.SECONDS));
        assertEquals(2L, ((NodeStep.Outcome.NotExecuted) alone.get()).leaderHint(), "taken, and sent to the leader");
    }

    /** Remembers the inbound side and the first vote request node 1 sends. */
    private final class Recorder implements Transport {
        @Override
        public void start(Inbound in) {
            inbound = in;
        }

        @Override
        public void send(Message request) {
            if (request instanceof Message.VoteRequest v) voteSent.complete(v);
        }

        @Override
        public void close() {}
    }
}
