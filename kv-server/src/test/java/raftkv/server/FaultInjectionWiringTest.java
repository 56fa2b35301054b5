package raftkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ClusterConfig;
import raftkv.config.ConfigLoader;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.testing.BlockRequest;
import raftkv.proto.testing.BlockState;
import raftkv.proto.testing.Direction;
import raftkv.proto.testing.FaultInjectionGrpc;
import raftkv.proto.testing.FaultInjectionGrpc.FaultInjectionBlockingStub;
import raftkv.proto.testing.TransferLeadershipRequest;
import raftkv.proto.testing.UnblockRequest;

/**
 * The test-only fault injection is wired in only when the config asks for it: without the key the
 * FaultInjection service is not registered (UNIMPLEMENTED) and the transport has no hook.
 * Node 0 of a two-node cluster runs in this JVM; node 1 is never started.
 */
class FaultInjectionWiringTest {
    @TempDir
    Path dir;
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private NodeProcess node;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws Exception {
        while (!toClose.isEmpty()) toClose.pop().close();
    }

    @Test
    void withoutTheConfigKeyTheServiceIsAbsentAndTheTransportHasNoHook() throws Exception {
        start("");

        assertNull(node.transport().partitionHook());
        FaultInjectionBlockingStub faults = faults();
        for (Runnable call : List.<Runnable>of(
                () -> faults.block(block(Direction.DIRECTION_BOTH, 1)),
                () -> faults.unblock(UnblockRequest.newBuilder().setAll(true).build()),
                () -> faults.transferLeadership(TransferLeadershipRequest.newBuilder().setTargetId(1).build()))) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
            assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        }
        // The node itself serves as usual.
        assertNotNull(KeyValueGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance()));
    }

    @Test
    void explicitlyFalseIsTheSameAsAbsent() throws Exception {
        start("\"testFaultInjection\": false,");

        assertNull(node.transport().partitionHook());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> faults().block(block(Direction.DIRECTION_OUTGOING, 1)));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    }

    @Test
    void withTheConfigKeyTheServiceDrivesTheTransportsHook() throws Exception {
        start("\"testFaultInjection\": true,");
        FaultInjectionBlockingStub faults = faults();

        BlockState state = faults.block(block(Direction.DIRECTION_OUTGOING, 1));
        assertEquals(List.of(1L), state.getOutgoingList());
        assertEquals(List.of(), state.getIncomingList());
        assertEquals(List.of(1L), node.transport().partitionHook().outgoing());

        state = faults.block(block(Direction.DIRECTION_INCOMING, 1));
        assertEquals(List.of(1L), state.getIncomingList());
        state = faults.unblock(UnblockRequest.newBuilder().addPeerIds(1).setDirection(Direction.DIRECTION_OUTGOING).build());
        assertEquals(List.of(), state.getOutgoingList());
        assertEquals(List.of(1L), state.getIncomingList());
        state = faults.unblock(UnblockRequest.newBuilder().setAll(true).build());
        assertEquals(BlockState.getDefaultInstance(), state);

        for (BlockRequest bad : List.of(block(Direction.DIRECTION_BOTH, 0), block(Direction.DIRECTION_BOTH, 7),
                block(Direction.DIRECTION_UNSPECIFIED, 1))) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> faults.block(bad));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), bad.toString());
        }
        // Alone, node 0 cannot win an election: it is no leader, so no transfer starts.
        assertFalse(faults.transferLeadership(TransferLeadershipRequest.newBuilder().setTargetId(1).build()).getStarted());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> faults.transferLeadership(TransferLeadershipRequest.newBuilder().setTargetId(0).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }

    private static BlockRequest block(Direction direction, long... peers) {
        BlockRequest.Builder b = BlockRequest.newBuilder().setDirection(direction);
        for (long p : peers) b.addPeerIds(p);
        return b.build();
    }

    private FaultInjectionBlockingStub faults() {
        return FaultInjectionGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    /** Starts node 0 with {@code extra} top-level keys ("" or "key": value,). */
    private void start(String extra) throws Exception {
        String json = "{" + extra + " \"path\": \"data\", \"servers\": ["
                + "{\"Id\": 0, \"Hostname\": \"127.0.0.1\", \"ClientPort\": " + freePort() + ", \"LogPort\": " + freePort() + "},"
                + "{\"Id\": 1, \"Hostname\": \"127.0.0.1\", \"ClientPort\": " + freePort() + ", \"LogPort\": " + freePort() + "}]}";
        ClusterConfig config = ConfigLoader.parse(json, dir);
        FileChannel lockFile = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        node = NodeProcess.start(config, 0, lockFile.lock());
        toClose.push(node);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", config.server(0).logPort()).usePlaintext().build();
        toClose.push(channel::shutdownNow);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            return s.getLocalPort();
        }
    }
}
