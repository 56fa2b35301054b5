package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.Member;
import raftkv.proto.kv.MemberChangeKind;
import raftkv.proto.kv.MemberChangeRequest;
import raftkv.proto.kv.MemberChangeResponse;
import raftkv.proto.kv.MemberListRequest;
import raftkv.proto.kv.MemberListResponse;

/** kvctl member list|add|promote|remove against a fake node: output, requests sent, refusals. */
class MemberCommandTest {
    @TempDir
    Path dir;
    Server server;
    Cli cli;
    final List<MemberChangeRequest> changes = new ArrayList<>();
    volatile Status refuseWith;

    static final Member VOTER = Member.newBuilder().setId(0).setVoter(true).setPeerAddress("127.0.0.1:9000")
            .setClientAddress("127.0.0.1:8000").setMatchIndex(42).setMatchKnown(true).build();
    static final Member LEARNER = Member.newBuilder().setId(3).setVoter(false).setPeerAddress("10.0.0.3:9003")
            .setClientAddress("10.0.0.3:8003").setMatchIndex(40).setMatchKnown(true).build();

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new KeyValueGrpc.KeyValueImplBase() {
            @Override
            public void memberList(MemberListRequest req, StreamObserver<MemberListResponse> out) {
                out.onNext(MemberListResponse.newBuilder().addMembers(VOTER).addMembers(LEARNER).setLeaderKnown(true)
                        .setLeaderId(0).setLastLogIndex(42).build());
                out.onCompleted();
            }

            @Override
            public void memberChange(MemberChangeRequest req, StreamObserver<MemberChangeResponse> out) {
                synchronized (changes) {
                    changes.add(req);
                }
                if (refuseWith != null) {
                    out.onError(refuseWith.asRuntimeException());
                    return;
                }
                out.onNext(MemberChangeResponse.newBuilder().setIndex(43).addMembers(VOTER).addMembers(LEARNER).build());
                out.onCompleted();
            }
        }).build().start();
        cli = new Cli(dir).env(EndpointOptions.ENV_ENDPOINTS, "127.0.0.1:" + server.getPort());
    }

    @AfterEach
    void stop() {
        server.shutdownNow();
    }

    @Test
    void listShowsRolesAddressesMatchAndLeader() {
        Cli.Result r = cli.run("member", "list");
        assertEquals(0, r.exit(), r::toString);
        List<String> lines = r.stdout().lines().toList();
        assertEquals("ID  ROLE     GRPC            TEXT            MATCH  LEADER", lines.get(0));
        assertTrue(lines.get(1).matches("0\\s+voter\\s+127.0.0.1:9000\\s+127.0.0.1:8000\\s+42\\s+\\*"), lines.get(1));
        assertTrue(lines.get(2).matches("3\\s+learner\\s+10.0.0.3:9003\\s+10.0.0.3:8003\\s+40"), lines.get(2));
        Cli.Result json = cli.run("member", "list", "-o", "json");
        assertTrue(json.stdout().contains("\"leader\":0"), json::toString);
        assertTrue(json.stdout().contains("{\"id\":3,\"role\":\"learner\",\"grpc\":\"10.0.0.3:9003\",\"text\":\"10.0.0.3:8003\",\"match\":40,\"leader\":false}"),
                json::toString);
    }

    @Test
    void addPromoteRemoveSendOneChangeEach() {
        assertEquals(0, cli.run("member", "add", "3", "--host", "10.0.0.3", "--client-port", "8003", "--log-port", "9003",
                "--learner").exit());
        Cli.Result promote = cli.run("member", "promote", "3");
        assertEquals(0, promote.exit(), promote::toString);
        assertEquals("member promote 3: committed at log entry 43; voters [0], learners [3]\n", promote.stdout());
        assertEquals(0, cli.run("member", "remove", "0").exit());
        assertEquals(List.of(MemberChangeKind.MEMBER_CHANGE_KIND_ADD_LEARNER, MemberChangeKind.MEMBER_CHANGE_KIND_PROMOTE,
                MemberChangeKind.MEMBER_CHANGE_KIND_REMOVE), changes.stream().map(MemberChangeRequest::getKind).toList());
        assertEquals("10.0.0.3", changes.get(0).getHost());
        assertEquals(9003, changes.get(0).getLogPort());
    }

    @Test
    void aRefusedChangeIsOneLineAndExitThree() {
        refuseWith = Status.FAILED_PRECONDITION.withDescription("node 0 is the last voter");
        Cli.Result r = cli.run("member", "remove", "0");
        assertEquals(3, r.exit(), r::toString);
        assertEquals(List.of("kvctl: member remove 0: refused, nothing changed: node 0 is the last voter"), r.stderrLines());
        assertEquals("", r.stdout());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertEquals(2, cli.run("member", "add", "3", "--host", "h").exit());
        assertEquals(2, cli.run("member", "add", "3", "--host", "h", "--client-port", "1", "--log-port", "1").exit());
        assertEquals(2, cli.run("member").exit());
        assertEquals(List.of(), changes);
    }
}
