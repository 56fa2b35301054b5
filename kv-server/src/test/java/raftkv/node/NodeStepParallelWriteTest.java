package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.kv.KvStateMachine;
import raftkv.kv.RequestId;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.Message;
import raftkv.raft.RaftConfig;
import raftkv.raft.RaftCore;
import raftkv.raft.Role;
import raftkv.raft.SnapshotMeta;
import raftkv.transport.Transport;
import raftkv.wal.MemoryStorage;
import raftkv.wal.RaftStorage;
import raftkv.wal.SnapshotFiles;

/**
 * Thesis 10.2.1 in the node step: a leader sends its AppendEntries before its own fsync, so the
 * followers write while it writes; everything a follower answers still waits for its fsync.
 */
class NodeStepParallelWriteTest {
    private static final ByteString KEY = ByteString.copyFromUtf8("k");

    @TempDir
    Path tmp;

    /** What the node did, in order: "sync", or "send <message type> to <id>". */
    private final List<String> events = new ArrayList<>();
    private final List<Message> sent = new ArrayList<>();

    @Test
    void aLeaderSendsItsEntriesBeforeItsOwnSync() throws IOException {
        NodeStep leader = leaderOf(List.of(1L, 2L, 3L));
        events.clear();

        submit(leader, set("v"));

        assertEquals(List.of("send AppendRequest to 2", "send AppendRequest to 3", "sync"), events);
        for (Message m : sent) assertEquals(1, ((Message.AppendRequest) m).entries().size());
    }

    @Test
    void aFollowerAcknowledgesOnlyAfterItsSync() throws IOException {
        NodeStep follower = node(2, List.of(1L, 2L, 3L));
        List<String> answered = events;
        Message.AppendRequest append = new Message.AppendRequest(1, 2, 1, 0, 0,
                List.of(Entry.noop(1, 1)), 0, 0);

        follower.stepRequest(append, reply -> answered.add("answer " + reply.getClass().getSimpleName()));
        follower.handleReady();

        assertEquals(List.of("sync", "answer AppendResponse"), events);
    }

    @Test
    void aLeaderAloneAnswersAWriteInTheReadyThatSyncedIt() throws IOException {
        NodeStep leader = leaderOf(List.of(1L));

        CompletableFuture<NodeStep.Outcome> result = submit(leader, set("v"));

        assertTrue(result.isDone(), "committed by the leader's own sync, applied in the same handleReady");
        assertInstanceOf(KvResult.Written.class, assertInstanceOf(NodeStep.Outcome.Done.class, result.join()).result());
    }

    private NodeStep leaderOf(List<Long> ids) throws IOException {
        NodeStep n = node(1, ids);
        for (int i = 0; i < 100 && n.status().raft().role() != Role.LEADER; i++) {
            n.tick();
            n.handleReady();
            // Grant every vote at once: the other nodes are not simulated here.
            for (Message m : List.copyOf(sent)) {
                if (m instanceof Message.VoteRequest v) {
                    n.stepResponse(new Message.VoteResponse(v.to(), v.from(), v.term(), true, v.preVote()));
                }
            }
            sent.clear();
            n.handleReady();
        }
        assertEquals(Role.LEADER, n.status().raft().role());
        n.handleReady();
        // The followers take the leader's no-op, so that it replicates to them without probing.
        for (Message m : List.copyOf(sent)) {
            if (m instanceof Message.AppendRequest a) {
                long match = a.prevLogIndex() + a.entries().size();
                n.stepResponse(new Message.AppendResponse(a.to(), a.from(), a.term(), true, match, 0, 0, 0, a.readSeq()));
            }
        }
        n.handleReady();
        sent.clear();
        return n;
    }

    private NodeStep node(long id, List<Long> ids) throws IOException {
        RaftCore core = new RaftCore(RaftConfig.of(id, ids, 10, 1), HardState.INITIAL, SnapshotMeta.NONE, List.of(),
                new SplittableRandom(id));
        RaftStorage storage = new RecordingStorage(new MemoryStorage());
        SnapshotKeeper snapshots = new SnapshotKeeper(id, SnapshotFiles.open(tmp.resolve("n" + id), false), storage,
                1_000_000, 64 << 20, SnapshotMeta.NONE);
        return new NodeStep(id, core, new KvStateMachine(), storage, snapshots, new RecordingTransport(), Clock.SYSTEM,
                written -> { });
    }

    private static CompletableFuture<NodeStep.Outcome> submit(NodeStep n, KvRequest request) {
        CompletableFuture<NodeStep.Outcome> result = new CompletableFuture<>();
        n.submit(request, result, Long.MAX_VALUE);
        n.handleReady();
        return result;
    }

    private static KvRequest set(String value) {
        return new KvRequest.Set(KEY, ByteString.copyFromUtf8(value), 0, RequestId.NONE);
    }

    private final class RecordingTransport implements Transport {
        @Override
        public void start(Inbound inbound) {}

        @Override
        public void send(Message m) {
            events.add("send " + m.getClass().getSimpleName() + " to " + m.to());
            sent.add(m);
        }

        @Override
        public void close() {}
    }

    private final class RecordingStorage implements RaftStorage {
        private final RaftStorage inner;

        RecordingStorage(RaftStorage inner) {
            this.inner = inner;
        }

        @Override
        public Recovered recovered() {
            return inner.recovered();
        }

        @Override
        public void saveHardState(HardState hardState) {
            inner.saveHardState(hardState);
        }

        @Override
        public void append(List<Entry> entries) {
            inner.append(entries);
        }

        @Override
        public void sync() {
            events.add("sync");
            inner.sync();
        }

        @Override
        public void installSnapshot(SnapshotMeta snapshot) {
            inner.installSnapshot(snapshot);
        }

        @Override
        public void cut() {
            inner.cut();
        }

        @Override
        public void compact(long index) {
            inner.compact(index);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
