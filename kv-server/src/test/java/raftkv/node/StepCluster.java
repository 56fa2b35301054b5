package raftkv.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import raftkv.kv.KvStateMachine;
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
 * Three {@link NodeStep}s for tests, with no thread: an in-memory wire delivers their messages in
 * order when {@link #run} is called, a node in {@link #down} gets nothing, and each node has the
 * clock it is given. Requests a node did not take (answered null) are kept in {@link #refused}.
 */
final class StepCluster {
    final List<NodeStep> steps = new ArrayList<>();
    final ArrayDeque<Message> wire = new ArrayDeque<>();
    final Set<Long> down = new HashSet<>();
    final List<Message> refused = new ArrayList<>();

    /** Nodes 1, 2 and 3, node i with {@code clocks.get(i - 1)}; {@code seed} varies their election timeouts. */
    StepCluster(Path tmp, long seed, List<? extends Clock> clocks) throws IOException {
        List<Long> ids = List.of(1L, 2L, 3L);
        for (long id : ids) {
            RaftCore core = new RaftCore(RaftConfig.of(id, ids, 10, 1), HardState.INITIAL, SnapshotMeta.NONE, List.of(),
                    new SplittableRandom(seed + id));
            MemoryStorage storage = new MemoryStorage();
            SnapshotKeeper snapshots = new SnapshotKeeper(id, SnapshotFiles.open(tmp.resolve("n" + id), false), storage,
                    1_000_000, 64 << 20, SnapshotMeta.NONE);
            steps.add(new NodeStep(id, core, new KvStateMachine(), storage, snapshots, new Wire(), clocks.get((int) id - 1),
                    written -> { }));
        }
    }

    NodeStep node(long id) {
        return steps.get((int) id - 1);
    }

    /** Delivers every message in flight, and those they cause, in order. */
    void run() {
        Message m;
        while ((m = wire.pollFirst()) != null) {
            if (down.contains(m.to())) continue;
            NodeStep to = node(m.to());
            Message request = m;
            if (Message.isRequest(m) || Message.isOneWay(m)) {
                to.stepRequest(m, reply -> {
                    if (reply != null) wire.addLast(reply);
                    else if (Message.isRequest(request)) refused.add(request);
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
