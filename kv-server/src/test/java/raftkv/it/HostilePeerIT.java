package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.StatusResponse;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.proto.raft.VoteRequest;

/**
 * Issue 10, item 7, on a real three-node cluster in plaintext: a program that is no node, with a
 * client generated from raft.proto, sends AppendEntries with term 2^63 - 1 (which once wedged every
 * node as a pre-candidate for ever) and AppendEntries at the leader's own term from another node's id
 * (which once halted the leader with "two leaders", exit 70, one leader after another). Every one is
 * refused; the same leader keeps its term, writes go on within 5 s, and no node exits.
 */
class HostilePeerIT {
    @TempDir
    Path dir;
    TestCluster cluster;

    @AfterEach
    void cleanUp() throws Exception {
        if (cluster != null) cluster.close();
    }

    private static StatusRuntimeException refused(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        return e;
    }

    @Test
    void hostileAppendEntriesNeitherStopsNorWedgesTheCluster() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3);
        cluster.startAll();
        ServerSpec leader = cluster.awaitStableLeader(Duration.ofSeconds(60));
        long term = TestCluster.status(leader).getTerm();
        // The cluster id is no secret: anyone who knows the config computes it, as this client does.
        long clusterId = cluster.config().clusterId();
        ServerSpec[] followers = cluster.config().servers().stream().filter(s -> s.id() != leader.id()).toArray(ServerSpec[]::new);

        for (ServerSpec target : cluster.config().servers()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress(target.hostname(), target.logPort()).usePlaintext().build();
            try {
                RaftPeerGrpc.RaftPeerBlockingStub peer = RaftPeerGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
                long otherId = (target.id() == leader.id() ? followers[0] : followers[0].id() == target.id() ? followers[1] : followers[0]).id();

                // A term of 2^63 - 1, and one just above the bound of 2^62: refused at the codec.
                refused(Status.Code.INVALID_ARGUMENT, () -> peer.appendEntries(AppendRequest.newBuilder()
                        .setClusterId(clusterId).setTerm(Long.MAX_VALUE).setLeaderId(otherId).build()));
                refused(Status.Code.INVALID_ARGUMENT, () -> peer.appendEntries(AppendRequest.newBuilder()
                        .setClusterId(clusterId).setTerm((1L << 62) + 1).setLeaderId(otherId).build()));
                refused(Status.Code.INVALID_ARGUMENT, () -> peer.requestVote(VoteRequest.newBuilder()
                        .setClusterId(clusterId).setTerm(Long.MAX_VALUE).setCandidateId(otherId).build()));

                // A second leader in the leader's own term: well-formed, so the node's core refuses it
                // (logged at ERROR) and the call fails as unanswered.
                refused(Status.Code.UNAVAILABLE, () -> peer.appendEntries(AppendRequest.newBuilder()
                        .setClusterId(clusterId).setTerm(term).setLeaderId(otherId).build()));

                // Another cluster's message never reaches the core.
                refused(Status.Code.PERMISSION_DENIED, () -> peer.appendEntries(AppendRequest.newBuilder()
                        .setClusterId(clusterId + 1).setTerm(term + 1).setLeaderId(otherId).build()));
            } finally {
                channel.shutdownNow();
            }
        }

        // Within 5 s: the same leader in the same term, taking writes; and no node has exited.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try (GrpcClient client = new GrpcClient(followers[0], 5_000)) {
            assertTrue(client.set("after-the-attack", "still here") > 0);
            assertEquals("still here", client.get("after-the-attack").getValue().toStringUtf8());
        }
        assertTrue(System.nanoTime() < deadline, "a write took more than 5 s after the attack\n" + cluster.logs());
        for (ServerSpec s : cluster.config().servers()) {
            assertTrue(cluster.running(s.id()), "node " + s.id() + " exited\n" + cluster.logs());
            StatusResponse status = TestCluster.status(s);
            assertEquals(leader.id(), status.getLeaderId(), "node " + s.id() + ": " + status);
            assertEquals(term, status.getTerm(), "node " + s.id() + ": " + status);
        }
        String leaderLog = Files.readString(cluster.log(leader.id()));
        assertTrue(leaderLog.contains("refused AppendRequest from node " + followers[0].id() + ": a second leader in term " + term),
                cluster.logs());
        assertTrue(leaderLog.contains("refusing AppendEntries from node"), "the foreign cluster is logged\n" + cluster.logs());
    }
}
