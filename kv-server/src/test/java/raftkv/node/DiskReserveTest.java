package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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

/** The disk reserve (SPEC 11), with a free-space probe and a clock the test controls. */
class DiskReserveTest {
    private static final long MB = 1 << 20;

    @TempDir
    Path tmp;

    private final AtomicLong free = new AtomicLong(100 * MB);
    private final TestClock clock = new TestClock(0);

    @Test
    void theReserveIsTheMarginPlusTheNextSnapshotPlusTheLogBeforeIt() {
        DiskReserve reserve = new DiskReserve(free::get, 4 * MB, clock);
        assertEquals(4 * MB + 10 * MB + 8 * MB, reserve.reserveBytes(10 * MB, 8 * MB));
        free.set(23 * MB);
        assertTrue(reserve.take(MB / 2, 10 * MB, 8 * MB));
        assertFalse(reserve.take(MB, 10 * MB, 8 * MB), "what was taken since the probe counts");
        assertTrue(reserve.take(MB / 4, 10 * MB, 8 * MB), "a smaller write still fits");
    }

    @Test
    void writesResumeOnceTheNextProbeSeesSpace() {
        DiskReserve reserve = new DiskReserve(free::get, 4 * MB, clock);
        free.set(4 * MB);
        assertFalse(reserve.take(100, 0, 0));
        free.set(50 * MB);
        assertFalse(reserve.take(100, 0, 0), "the probe's answer is kept for a while");
        clock.advance(DiskReserve.PROBE_INTERVAL_NANOS);
        assertTrue(reserve.take(100, 0, 0));
    }

    @Test
    void aLeaderNearlyOutOfDiskRefusesSetsAndCasButServesReadsAndDeletes() throws Exception {
        RaftCore core = new RaftCore(RaftConfig.of(1, List.of(1L), 3, 1), HardState.INITIAL, SnapshotMeta.NONE,
                List.of(), new SplittableRandom(7));
        MemoryStorage storage = new MemoryStorage();
        SnapshotKeeper snapshots = new SnapshotKeeper(1, SnapshotFiles.open(tmp, false), storage, 100_000, 64 * MB,
                SnapshotMeta.NONE);
        DiskReserve reserve = new DiskReserve(free::get, 4 * MB, clock);
        try (RaftNode node = new RaftNode(1, core, new KvStateMachine(), storage, snapshots, new NoPeers(), Clock.SYSTEM,
                e -> { }, 64 * MB, reserve)) {
            node.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (node.status().get(10, TimeUnit.SECONDS).raft().role() != Role.LEADER) {
                assertTrue(System.nanoTime() < deadline, "no leader");
                node.tick();
            }
            ByteString key = ByteString.copyFromUtf8("k");
            ByteString value = ByteString.copyFromUtf8("v");
            long version = assertInstanceOf(KvResult.Written.class,
                    execute(node, new KvRequest.Set(key, value, 0, RequestId.NONE))).version();

            // The byte trigger is an eighth of the 64 MiB segment: 4 + 8 MiB and a little more.
            free.set(12 * MB);
            clock.advance(DiskReserve.PROBE_INTERVAL_NANOS);
            assertEquals(new KvResult.NoSpace(true), execute(node, new KvRequest.Set(key, value, 0, RequestId.NONE)));
            assertEquals(new KvResult.NoSpace(true), execute(node, new KvRequest.Cas(key, version, value, 0, RequestId.NONE)));
            assertInstanceOf(KvResult.Found.class, execute(node, new KvRequest.Get(key)));
            assertInstanceOf(KvResult.Deleted.class, execute(node, new KvRequest.Delete(key, RequestId.NONE)));

            free.set(20 * MB);
            clock.advance(DiskReserve.PROBE_INTERVAL_NANOS);
            assertInstanceOf(KvResult.Written.class, execute(node, new KvRequest.Set(key, value, 0, RequestId.NONE)));
        }
    }

    private static KvResult execute(RaftNode node, KvRequest request) throws Exception {
        NodeStep.Outcome outcome = node.submit(request, System.nanoTime() + TimeUnit.SECONDS.toNanos(10))
                .get(20, TimeUnit.SECONDS);
        return assertInstanceOf(NodeStep.Outcome.Done.class, outcome).result();
    }

    private static final class NoPeers implements Transport {
        @Override
        public void start(Inbound inbound) {}

        @Override
        public void send(Message request) {
            throw new AssertionError("a one-node cluster sent " + request);
        }

        @Override
        public void close() {}
    }
}
