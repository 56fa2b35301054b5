package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.raft.Membership;

/**
 * A node outside the membership (removed, or waiting to join) knows no leader: nobody that leads
 * contacts it. Its client commands go to the members, and the leader they name is where the client
 * is sent (ERR_REDIRECT, SPEC 4) or the command is forwarded, never a voter after voter.
 * Init: node 3 was removed from {0, 1, 2}, whose leader is node 1; its node step offers the voters in turn.
 */
class OutsideMembershipTest {
    private static final long LEADER = 1;
    private static final List<ServerSpec> SERVERS = List.of(
            new ServerSpec(0, "127.0.0.1", 8000, 9000), new ServerSpec(1, "127.0.0.1", 8001, 9001),
            new ServerSpec(2, "127.0.0.1", 8002, 9002), new ServerSpec(3, "127.0.0.1", 8003, 9003));
    private static final KvResult FOUND = new KvResult.Found(ByteString.copyFromUtf8("v"), 7, 0);

    private final List<Long> forwardedTo = new ArrayList<>();
    private final List<Long> offered = new ArrayList<>();
    private long voterTurn;
    private final TestClock clock = new TestClock(0);
    private long leader = LEADER;
    private final java.util.Set<Long> down = new java.util.HashSet<>();

    private KvService removedNode(boolean forward) {
        ClusterConfig defaults = ClusterConfig.withDefaults(Path.of("unused"), SERVERS);
        ClusterConfig config = new ClusterConfig(defaults.dataDir(), SERVERS, defaults.heartbeatMs(),
                defaults.electionTimeoutMs(), defaults.requestTimeoutMs(), defaults.maxValueBytes(), false,
                defaults.snapshotEntries(), defaults.walSegmentBytes(), forward, false, null, defaults.limits(),
                List.of(), null);
        MemberAddresses members = new MemberAddresses(SERVERS, Membership.ofVoters(List.of(0L, 1L, 2L)));
        CommandSink sink = new CommandSink() {
            @Override
            public long id() {
                return 3;
            }

            @Override
            public CompletableFuture<NodeStep.Outcome> submit(KvRequest request, long deadlineNanos) {
                long voter = voterTurn++ % 3; // as MembershipWatch.nextVoter does
                offered.add(voter);
                return CompletableFuture.completedFuture(new NodeStep.Outcome.NotExecuted(voter));
            }
        };
        Forwarder forwarder = new Forwarder() {
            @Override
            public CompletableFuture<KvResult> forward(ServerSpec to, KvRequest request, long deadlineNanos) {
                forwardedTo.add((long) to.id());
                // The leader executes a forwarded command; a follower answers "not executed, and who leads".
                KvResult answer = down.contains((long) to.id()) ? new KvResult.Unavailable("connection refused", null)
                        : to.id() == leader ? FOUND : new KvResult.Redirect(null, SERVERS.get((int) leader).logAddress());
                return CompletableFuture.completedFuture(answer);
            }

            @Override
            public void close() {
            }
        };
        Timer now = (task, delayMillis) -> task.run();
        return new KvService(sink, config, forwarder, now, clock).withMembers(members);
    }

    private static KvResult get(KvService service) throws Exception {
        return service.execute(new KvRequest.Get(ByteString.copyFromUtf8("k"))).get(5, TimeUnit.SECONDS);
    }

    @Test
    void withoutForwardingTheClientIsSentToTheLeaderTheMembersName() throws Exception {
        KvService service = removedNode(false);
        for (int i = 0; i < 4; i++) {
            KvResult r = get(service);
            assertEquals(new KvResult.Redirect("127.0.0.1:8001", "127.0.0.1:9001"), r,
                    "command " + i + ": ERR_REDIRECT names the leader, not the next voter");
        }
        assertEquals(List.of(0L), forwardedTo, "one member asked once; the leader it named is remembered");
        // An election timeout later the node asks again, the remembered leader first: it executes the command.
        clock.advance(TimeUnit.MILLISECONDS.toNanos(ClusterConfig.DEFAULT_ELECTION_TIMEOUT_MS));
        assertEquals(FOUND, get(service));
        assertEquals(List.of(0L, 1L), forwardedTo);
    }

    @Test
    void withForwardingTheCommandReachesTheLeaderAfterOneAnswer() throws Exception {
        KvService service = removedNode(true);
        assertEquals(FOUND, get(service));
        assertEquals(FOUND, get(service));
        assertEquals(FOUND, get(service));
        assertEquals(List.of(0L, 1L, 1L, 1L), forwardedTo, "voter 0 named the leader; from then on straight there");
    }

    @Test
    void aLeaderThatStopsAnsweringIsForgottenAndTheMembersAreAskedAgain() throws Exception {
        KvService service = removedNode(true);
        assertEquals(FOUND, get(service)); // node 1 named, and remembered
        // Node 1 dies and node 2 takes over: the next command finds node 1 down, asks the voters in
        // turn, and goes where they point; the one after goes straight to node 2.
        down.add(LEADER);
        leader = 2;
        forwardedTo.clear();
        assertEquals(FOUND, get(service));
        assertEquals(1L, forwardedTo.get(0), "the remembered leader is tried first");
        assertEquals(2L, forwardedTo.get(forwardedTo.size() - 1));
        forwardedTo.clear();
        assertEquals(FOUND, get(service));
        assertEquals(List.of(2L), forwardedTo);
    }
}
