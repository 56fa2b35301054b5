package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.kv.KvStateMachine;
import raftkv.kv.RequestId;
import raftkv.raft.HardState;
import raftkv.raft.Message;
import raftkv.raft.RaftConfig;
import raftkv.raft.RaftCore;
import raftkv.raft.Role;
import raftkv.raft.SnapshotMeta;
import raftkv.transport.Transport;
import raftkv.wal.MemoryStorage;
import raftkv.wal.SnapshotFiles;

/**
 * Expiry follows the log's time, counted with the leaders' monotonic clocks (SPEC 11): three node
 * steps whose clocks the test moves, each with its own unrelated origin, as on three machines.
 */
class LogTimeTest {
    private static final ByteString KEY = ByteString.copyFromUtf8("k");
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    Path tmp;

    @Test
    void theLogClockCountsOnFromWhatItSawAndNeverGoesBack() {
        TestClock nanos = new TestClock(-7 * SECOND);
        LogClock clock = new LogClock(nanos, 5_000);
        assertEquals(5_000, clock.now());
        nanos.advance(2 * SECOND);
        assertEquals(7_000, clock.now());
        clock.observe(6_000); // behind this node's count: ignored
        assertEquals(7_000, clock.now());
        clock.observe(60_000); // a leader's stamp ahead: counted on from
        nanos.advance(SECOND / 2);
        assertEquals(60_500, clock.now());
        nanos.advance(-10 * SECOND); // a clock that went back (only a broken monotonic clock would)
        assertEquals(60_500, clock.now());
    }

    @Test
    void aKeyLivesItsTtlOfElapsedTimeAcrossAChangeOfLeaderWhateverEachMachinesClockReads() throws IOException {
        // Origins hours and years apart, as monotonic clocks of different machines are.
        Cluster c = new Cluster(new long[] {0, 3_600 * SECOND, -40_000_000 * SECOND});
        NodeStep first = c.awaitLeader();
        done(c.submit(first, new KvRequest.Set(KEY, ByteString.copyFromUtf8("v"), 10, RequestId.NONE)));

        c.advance(4 * SECOND);
        assertInstanceOf(KvResult.Found.class, done(c.submit(first, new KvRequest.Get(KEY))));

        // The leader goes; another continues the log's time from its entries.
        c.down.add(first.id());
        NodeStep second = c.awaitLeader();
        assertNotSame(first, second);
        c.advance(4 * SECOND);
        KvResult.Found found = assertInstanceOf(KvResult.Found.class, done(c.submit(second, new KvRequest.Get(KEY))));
        assertEquals(2, found.ttlSeconds(), "8 s of the 10 s ttl have passed (and the election's few ticks)");

        c.advance(3 * SECOND);
        assertInstanceOf(KvResult.NotFound.class, done(c.submit(second, new KvRequest.Get(KEY))));
    }

    private static KvResult done(CompletableFuture<NodeStep.Outcome> f) {
        return assertInstanceOf(NodeStep.Outcome.Done.class, f.getNow(null)).result();
    }

    /** Three node steps, messages delivered in order by {@link #run}, a clock per node. */
    private final class Cluster {
        final List<NodeStep> steps = new ArrayList<>();
        final List<TestClock> clocks = new ArrayList<>();
        final ArrayDeque<Message> wire = new ArrayDeque<>();
        final Set<Long> down = new HashSet<>();

        Cluster(long[] origins) throws IOException {
            List<Long> ids = List.of(1L, 2L, 3L);
            for (long id : ids) {
                RaftCore core = new RaftCore(RaftConfig.of(id, ids, 10, 1), HardState.INITIAL, SnapshotMeta.NONE, List.of(),
                        new SplittableRandom(id));
                MemoryStorage storage = new MemoryStorage();
                SnapshotKeeper snapshots = new SnapshotKeeper(id, SnapshotFiles.open(tmp.resolve("n" + id), false), storage,
                        1_000_000, 64 << 20, SnapshotMeta.NONE);
                // Its wall clock fails the test if read: no deadline may depend on it.
                TestClock clock = new TestClock(origins[(int) id - 1]);
                clocks.add(clock);
                steps.add(new NodeStep(id, core, new KvStateMachine(), storage, snapshots, new Wire(), clock,
                        written -> { }));
            }
        }

        /** Moves every clock on; ticks a few times, as time passing does, so that heartbeats and expiry ticks go. */
        void advance(long nanos) {
            for (TestClock clock : clocks) clock.advance(nanos);
            tick(3);
        }

        void run() {
            Message m;
            while ((m = wire.pollFirst()) != null) {
                if (down.contains(m.to())) continue;
                NodeStep to = steps.get((int) m.to() - 1);
                if (Message.isRequest(m) || m instanceof Message.TimeoutNow) {
                    to.stepRequest(m, reply -> {
                        if (reply != null) wire.addLast(reply);
                    });
                } else {
                    to.stepResponse(m);
                }
                to.handleReady();
            }
        }

        void tick(int times) {
            for (int i = 0; i < times; i++) {
                for (NodeStep s : steps) {
                    if (down.contains(s.id())) continue;
                    s.tick();
                    s.handleReady();
                }
                run();
            }
        }

        NodeStep awaitLeader() {
            for (int i = 0; i < 200; i++) {
                for (NodeStep s : steps) {
                    if (!down.contains(s.id()) && s.status().raft().role() == Role.LEADER) return s;
                }
                tick(1);
            }
            throw new AssertionError("no leader within 200 ticks");
        }

        CompletableFuture<NodeStep.Outcome> submit(NodeStep s, KvRequest request) {
            CompletableFuture<NodeStep.Outcome> result = new CompletableFuture<>();
            s.submit(request, result, Long.MAX_VALUE);
            s.handleReady();
            run();
            return result;
        }

        private final class Wire implements Transport {
            @Override
            public void start(Inbound inbound) {}

            @Override
            public void send(Message request) {
                wire.addLast(request);
            }

            @Override
            public void close() {}
        }
    }
}
