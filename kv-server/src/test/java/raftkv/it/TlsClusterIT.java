package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.SetRequest;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.InstallSnapshotResponse;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.proto.raft.SnapshotChunk;
import raftkv.proto.raft.SnapshotHeader;
import raftkv.proto.raft.TimeoutNowRequest;
import raftkv.proto.raft.VoteRequest;
import raftkv.testing.TextClient;

/**
 * SPEC section 8 on a real 3-node TLS cluster ({@code "text": true}), certificates made by
 * {@code scripts/certs} when the test runs: clients over TLS work, plaintext ones are refused,
 * and no raft.proto call gets through unless it comes from a node's certificate in that node's
 * own name, so the leader, its term and the data stay as they were.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsClusterIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final int TIMEOUT_MS = 10_000;

    private TestCluster cluster;
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    void startCluster(@TempDir Path dir) throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3, "\"fsync\": false",
                // A loaded test machine must not cause an election of its own while the test checks that none happens.
                "\"electionTimeoutMs\": 2000").useTls(false, true);
        cluster.startAll();
        cluster.awaitStableLeader(START);
    }

    @AfterAll
    void stopCluster() {
        TlsClients.shutdown(channels);
        if (cluster != null) cluster.close();
    }

    private Path certs(String file) {
        return cluster.certs().resolve(file);
    }

    private KeyValueGrpc.KeyValueBlockingStub kv(int id, String certName) throws IOException {
        Path cert = certName == null ? null : certs(certName + ".crt");
        Path key = certName == null ? null : certs(certName + ".key");
        ManagedChannel ch = TlsClients.channel(cluster.server(id), certs("ca.crt"), cert, key);
        channels.add(ch);
        return KeyValueGrpc.newBlockingStub(ch).withDeadlineAfter(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    @Test
    void clientsOverTlsSetAndGetThroughAnyNode() throws Exception {
        ByteString key = ByteString.copyFromUtf8("tls-greeting");
        long version = kv(0, "client").set(SetRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("hello")).build())
                .getVersion();
        // Without a client certificate too: clientCertAuth is off. Node 2 may forward to the leader over TLS.
        for (int id = 0; id < 3; id++) {
            GetResponse got = kv(id, null).get(GetRequest.newBuilder().setKey(key).build());
            assertEquals("hello", got.getValue().toStringUtf8(), "node " + id);
            assertEquals(version, got.getVersion());
        }
        String log = Files.readString(cluster.log(0));
        assertFalse(log.contains("plaintext and unauthenticated"), "no plaintext warning with tls:\n" + log);
    }

    @Test
    void aPlaintextGrpcClientIsRefused() throws Exception {
        ManagedChannel plain = TlsClients.channel(cluster.server(0), null, null, null);
        channels.add(plain);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> KeyValueGrpc.newBlockingStub(plain)
                .withDeadlineAfter(TIMEOUT_MS, TimeUnit.MILLISECONDS).status(StatusRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    }

    @Test
    void theTextProtocolRunsInsideTls() throws Exception {
        ServerSpec node = cluster.server(1);
        try (TextClient text = TextClient.over(TlsClients.textSocket(node, certs("ca.crt"), TIMEOUT_MS), TIMEOUT_MS)) {
            assertTrue(text.set("tls-text", "over tls").startsWith("OK "));
            assertEquals("over tls", text.get("tls-text"));
        }
        // A plaintext client gets no reply: the server drops a connection that does not start a handshake.
        try (TextClient plain = TestCluster.textClient(node, TIMEOUT_MS)) {
            plain.send("get tls-text\r\n");
            String reply;
            try {
                reply = plain.line();
            } catch (SocketTimeoutException timedOut) {
                throw new AssertionError("the server neither closed nor answered a plaintext client");
            } catch (IOException closed) {
                reply = null;
            }
            assertTrue(reply == null || !(reply.startsWith("VALUE") || reply.startsWith("ERR")), "plaintext reply: " + reply);
        }
    }

    /** Who calls, over what: the three ways of the issue, and plaintext. */
    private record Caller(String name, String cert, Status.Code expected) {}

    @Test
    void raftCallsFromAnythingButTheNodeItselfAreRefusedAndChangeNothing() throws Exception {
        ByteString key = ByteString.copyFromUtf8("tls-raft-guard");
        long version = kv(0, "client").set(SetRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("kept")).build())
                .getVersion();
        StatusResponse before = leaderStatus();
        long term = before.getTerm();
        long claimed = 2; // every message claims to come from node 2
        List<Caller> callers = List.of(
                new Caller("the client certificate", "client", Status.Code.PERMISSION_DENIED),
                new Caller("no certificate", null, Status.Code.UNAUTHENTICATED),
                new Caller("node 1's certificate claiming node 2", "node-1", Status.Code.PERMISSION_DENIED));
        // Each would depose the leader or rewrite the log if the core saw it.
        Map<String, Function<RaftPeerGrpc.RaftPeerBlockingStub, Object>> rpcs = Map.of(
                "AppendEntries", s -> s.appendEntries(AppendRequest.newBuilder().setTerm(term + 10).setLeaderId(claimed)
                        .setLeaderCommit(1_000_000).build()),
                "RequestVote", s -> s.requestVote(VoteRequest.newBuilder().setTerm(term + 10).setCandidateId(claimed)
                        .setLastLogIndex(1_000_000).setLastLogTerm(term + 9).setLeadershipTransfer(true).build()),
                "TimeoutNow", s -> s.timeoutNow(TimeoutNowRequest.newBuilder().setTerm(term).setLeaderId(claimed).build()));
        for (ServerSpec target : cluster.config().servers()) {
            for (Caller caller : callers) {
                Path cert = caller.cert() == null ? null : certs(caller.cert() + ".crt");
                Path key2 = caller.cert() == null ? null : certs(caller.cert() + ".key");
                ManagedChannel ch = TlsClients.channel(target, certs("ca.crt"), cert, key2);
                channels.add(ch);
                for (var rpc : rpcs.entrySet()) {
                    RaftPeerGrpc.RaftPeerBlockingStub stub = RaftPeerGrpc.newBlockingStub(ch).withDeadlineAfter(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> rpc.getValue().apply(stub),
                            rpc.getKey() + " to node " + target.id() + " with " + caller.name());
                    assertEquals(caller.expected(), e.getStatus().getCode(), rpc.getKey() + " to node " + target.id()
                            + " with " + caller.name() + ": " + e.getStatus());
                }
                assertEquals(caller.expected(), installSnapshot(ch, term + 10, claimed), "InstallSnapshot to node "
                        + target.id() + " with " + caller.name());
            }
            // And a plaintext client does not even connect.
            ManagedChannel plain = TlsClients.channel(target, null, null, null);
            channels.add(plain);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> RaftPeerGrpc.newBlockingStub(plain)
                    .withDeadlineAfter(TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .appendEntries(AppendRequest.newBuilder().setTerm(term + 10).setLeaderId(claimed).build()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        }

        StatusResponse after = leaderStatus();
        assertEquals(before.getNodeId(), after.getNodeId(), "the leader stays");
        assertEquals(term, after.getTerm(), "its term stays");
        for (int id = 0; id < 3; id++) {
            StatusResponse s = kv(id, "client").status(StatusRequest.getDefaultInstance());
            assertEquals(term, s.getTerm(), "node " + id + "'s term");
            assertEquals(before.getNodeId(), s.getLeaderId(), "node " + id + "'s leader");
        }
        GetResponse got = kv(1, null).get(GetRequest.newBuilder().setKey(key).build());
        assertEquals("kept", got.getValue().toStringUtf8());
        assertEquals(version, got.getVersion());
        assertTrue(Files.readString(cluster.log(0)).contains("peer call from"), "the refusals are logged");
    }

    /** Streams one InstallSnapshot chunk claiming {@code leader}; the status code the stream ends with. */
    private static Status.Code installSnapshot(ManagedChannel ch, long term, long leader) throws Exception {
        CompletableFuture<Status> done = new CompletableFuture<>();
        StreamObserver<SnapshotChunk> out = RaftPeerGrpc.newStub(ch).withDeadlineAfter(TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .installSnapshot(new StreamObserver<>() {
                    @Override
                    public void onNext(InstallSnapshotResponse value) {}

                    @Override
                    public void onError(Throwable t) {
                        done.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(Status.OK);
                    }
                });
        byte[] data = "not a snapshot".getBytes(StandardCharsets.UTF_8);
        out.onNext(SnapshotChunk.newBuilder()
                .setHeader(SnapshotHeader.newBuilder().setTerm(term).setLeaderId(leader).setLastIncludedIndex(1_000_000)
                        .setLastIncludedTerm(term).setTotalSize(data.length))
                .setOffset(0).setData(ByteString.copyFrom(data)).setDone(true).build());
        out.onCompleted();
        return done.get(TIMEOUT_MS, TimeUnit.MILLISECONDS).getCode();
    }

    private StatusResponse leaderStatus() throws IOException {
        ServerSpec leader = cluster.awaitStableLeader(START);
        return kv(leader.id(), "client").status(StatusRequest.getDefaultInstance());
    }
}
