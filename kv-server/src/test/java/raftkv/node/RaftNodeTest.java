package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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

/** The Raft loop of a one-node cluster, in process: bad commands are answered, never fatal. */
class RaftNodeTest {
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    private RaftNode node;

    @TempDir
    Path tmp;

    @BeforeEach
    void startLeader() throws Exception {
        RaftCore core = new RaftCore(RaftConfig.of(1, List.of(1L), 3, 1), HardState.INITIAL, SnapshotMeta.NONE,
                List.of(), new SplittableRandom(7));
        MemoryStorage storage = new MemoryStorage();
        SnapshotKeeper snapshots = new SnapshotKeeper(1, SnapshotFiles.open(tmp, false), storage, 100_000, 64 << 20,
                SnapshotMeta.NONE);
        node = new RaftNode(1, core, new KvStateMachine(), storage, snapshots, new NoPeers(), Clock.SYSTEM,
                fatal::set);
        node.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (node.status().get(10, TimeUnit.SECONDS).raft().role() != Role.LEADER) {
            assertTrue(System.nanoTime() < deadline, "no leader");
            node.tick();
        }
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private KvResult execute(KvRequest request) throws Exception {
        NodeStep.Outcome outcome = node.submit(request, System.nanoTime() + TimeUnit.SECONDS.toNanos(10))
                .get(20, TimeUnit.SECONDS);
        return assertInstanceOf(NodeStep.Outcome.Done.class, outcome).result();
    }

    @Test
    void aCommandTheLogCannotCarryIsAnsweredInvalidAndTheNodeGoesOn() throws Exception {
        ByteString key = ByteString.copyFromUtf8("k");
        ByteString value = ByteString.copyFromUtf8("v");
        long written = assertInstanceOf(KvResult.Written.class,
                execute(new KvRequest.Set(key, value, 0, RequestId.NONE))).version();

        // Command.Cas refuses expected version 0; KvService never sends it, but if anything did,
        // the loop must answer it rather than stop the node.
        assertInstanceOf(KvResult.Invalid.class, execute(new KvRequest.Cas(key, 0, value, 0, RequestId.NONE)));
        assertInstanceOf(KvResult.Invalid.class, execute(new KvRequest.Set(key, value, -1, RequestId.NONE)));
        assertInstanceOf(KvResult.Invalid.class, execute(new KvRequest.Delete(key, new RequestId(0, 5))));

        assertNull(fatal.get());
        KvResult after = execute(new KvRequest.Cas(key, written, value, 0, RequestId.NONE));
        assertTrue(assertInstanceOf(KvResult.Written.class, after).version() > written);
        assertInstanceOf(KvResult.Found.class, execute(new KvRequest.Get(key)));
    }

    /** A one-node cluster sends nothing. */
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
