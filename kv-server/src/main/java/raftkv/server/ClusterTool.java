package raftkv.server;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import raftkv.config.ClusterConfig;
import raftkv.config.ConfigException;
import raftkv.config.ConfigLoader;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.MemberListRequest;
import raftkv.proto.kv.MemberListResponse;
import raftkv.proto.kv.MoveLeaderRequest;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;
import raftkv.security.AdminChannels;

/**
 * Helper behind {@code scripts/cluster}: {@code info} prints the data folder and the servers of
 * a config (for the shell script), {@code wait-leader SECONDS} waits until a majority of nodes
 * agree on one leader, {@code status} prints each node's view as a table (over TLS when the
 * config has {@code tls}, see {@link AdminChannels}), {@code write-tls-config OUT CERTDIR} is
 * {@code scripts/certs --write-config} ({@link TlsConfigWriter}), and for {@code rolling-restart}:
 * {@code wait-caught-up ID SECONDS} waits until node ID follows the leader and has applied all the
 * leader had committed, {@code move-leader-away ID SECONDS} hands leadership from node ID to its
 * most up-to-date follower, {@code restart-order} prints the members to restart, the leader last.
 * Membership lives in the log: every action works on the members the running nodes name
 * ({@link ClusterView}), not only on the config's servers.
 */
public final class ClusterTool {
    private ClusterTool() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2) {
            err.println("usage: ClusterTool CONFIG info|status|wait-leader SECONDS|wait-caught-up ID SECONDS"
                    + "|move-leader-away ID SECONDS|restart-order");
            return 2;
        }
        ClusterConfig config;
        try {
            config = ConfigLoader.load(Path.of(args[0]));
        } catch (ConfigException e) {
            err.println("cluster: " + e.getMessage());
            return 2;
        }
        switch (args[1]) {
            case "info" -> {
                out.println("path " + config.dataDir());
                out.println("tls " + (!config.tlsEnabled() ? "off" : config.tls().text() ? "text" : "on"));
                if (config.tlsEnabled()) out.println("cafile " + config.tls().caFile());
                for (ServerSpec s : config.servers()) {
                    out.println("server " + s.id() + " " + s.hostname() + " " + s.clientPort() + " " + s.logPort());
                }
                return 0;
            }
            case "write-tls-config" -> {
                if (args.length < 4) {
                    err.println("usage: ClusterTool CONFIG write-tls-config OUT CERTDIR");
                    return 2;
                }
                try {
                    TlsConfigWriter.write(Path.of(args[0]), Path.of(args[2]), Path.of(args[3]));
                } catch (ConfigException | java.io.IOException e) {
                    err.println("certs: cannot write " + args[2] + ": " + e.getMessage());
                    return 2;
                }
                return 0;
            }
            case "status" -> {
                printStatus(config, out);
                return 0;
            }
            case "restart-order" -> {
                ServerSpec leader = agreedLeader(config);
                if (leader == null) {
                    err.println("cluster: no leader agreed by a majority of the voters");
                    return 1;
                }
                ClusterView view = view(config);
                StringBuilder order = new StringBuilder();
                for (long id : view.nodes().keySet()) {
                    boolean configured = config.servers().stream().anyMatch(s -> s.id() == id);
                    if (!view.member(id)) {
                        err.println("cluster: node " + id + " is not a member; left alone");
                    } else if (!configured) {
                        err.println("cluster: member " + id + " is not in " + args[0] + "; it cannot be restarted from it, left alone");
                    } else if (id != leader.id()) {
                        order.append(id).append(' ');
                    }
                }
                out.println(order.append(leader.id()).toString().trim());
                return 0;
            }
            case "wait-leader" -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[2]));
                while (System.nanoTime() < deadline) {
                    ServerSpec leader = agreedLeader(config);
                    if (leader != null) {
                        out.println(leader.id() + " " + leader.clientAddress() + " " + leader.logAddress());
                        return 0;
                    }
                    waitBriefly();
                }
                err.println("cluster: no leader elected within " + args[2] + " s");
                return 1;
            }
            case "wait-caught-up" -> {
                ServerSpec node = config.server(Integer.parseInt(args[2]));
                if (awaitCaughtUp(config, node, deadline(args[3]))) return 0;
                err.println("cluster: node " + node.id() + " did not catch up with the leader within " + args[3] + " s");
                return 1;
            }
            case "move-leader-away" -> {
                ServerSpec from = config.server(Integer.parseInt(args[2]));
                ServerSpec to = moveLeaderAway(config, from, deadline(args[3]));
                if (to != null) {
                    out.println(to.id());
                    return 0;
                }
                err.println("cluster: leadership did not move away from node " + from.id() + " within " + args[3] + " s");
                return 1;
            }
            default -> {
                err.println("cluster: unknown action " + args[1]);
                return 2;
            }
        }
    }

    private static long deadline(String seconds) {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(seconds));
    }

    /**
     * Waits until {@code node} answers, follows the leader a majority names, and has applied what
     * the leader had committed when the node was first seen following it.
     */
    static boolean awaitCaughtUp(ClusterConfig config, ServerSpec node, long deadlineNanos) {
        long target = -1;
        while (System.nanoTime() < deadlineNanos) {
            ServerSpec leader = agreedLeader(config);
            StatusResponse own = status(config, node);
            if (leader != null && own != null && own.getLeaderKnown() && own.getLeaderId() == leader.id()) {
                if (target < 0) {
                    StatusResponse l = status(config, leader);
                    if (l != null) target = l.getCommitIndex();
                }
                if (target >= 0 && own.getAppliedIndex() >= target) return true;
            }
            waitBriefly();
        }
        return false;
    }

    /**
     * If {@code from} leads, hands leadership to its follower with the highest applied index (kv.proto
     * MoveLeader) and waits until a majority names another leader; returns the leader then.
     */
    static ServerSpec moveLeaderAway(ClusterConfig config, ServerSpec from, long deadlineNanos) {
        while (System.nanoTime() < deadlineNanos) {
            ServerSpec leader = agreedLeader(config);
            if (leader != null && leader.id() != from.id()) return leader;
            if (leader != null) {
                ServerSpec best = null;
                long bestApplied = -1;
                ClusterView view = view(config);
                for (var e : statuses(config, view).entrySet()) {
                    StatusResponse s = e.getValue();
                    if (e.getKey().id() != from.id() && s != null && view.voters().contains((long) e.getKey().id())
                            && s.getAppliedIndex() > bestApplied) {
                        best = e.getKey();
                        bestApplied = s.getAppliedIndex();
                    }
                }
                if (best != null) moveLeader(config, leader, best.id());
            }
            waitBriefly();
        }
        return null;
    }

    private static void moveLeader(ClusterConfig config, ServerSpec leader, long target) {
        ManagedChannel ch = channel(config, leader);
        try {
            KeyValueGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .moveLeader(MoveLeaderRequest.newBuilder().setTargetId(target).build());
        } catch (RuntimeException e) {
            // the leader changed or the target did not take over in time: the caller looks again
        } finally {
            ch.shutdownNow();
        }
    }

    /** A channel to {@code s}'s LogPort: over TLS when the config has {@code tls} ({@link AdminChannels}). */
    private static ManagedChannel channel(ClusterConfig config, ServerSpec s) {
        ChannelCredentials credentials = AdminChannels.credentials(config, System.getenv());
        return NettyChannelBuilder.forAddress(s.hostname(), s.logPort(), credentials).build();
    }

    /**
     * How long a node that is up may take to answer the tool. A node that is down refuses the
     * connection at once; one that is up but loaded (a leader under heavy writes, on a machine
     * shared with other nodes) took over a second to answer a membership query in CI, and the tool
     * then showed the config's servers instead of the cluster's members.
     */
    private static final long ANSWER_SECONDS = 3;

    /** One node's status, or null if it does not answer within {@link #ANSWER_SECONDS}. */
    private static StatusResponse status(ClusterConfig config, ServerSpec s) {
        ManagedChannel ch = channel(config, s);
        try {
            return KeyValueGrpc.newBlockingStub(ch).withDeadlineAfter(ANSWER_SECONDS, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
        } catch (RuntimeException unreachable) {
            return null;
        } finally {
            ch.shutdownNow();
        }
    }

    /** The leader that a majority of the voters report, or null (membership as {@link #view} finds it). */
    public static ServerSpec agreedLeader(ClusterConfig config) {
        ClusterView view = view(config);
        Map<Long, Integer> votes = new LinkedHashMap<>();
        for (var e : statuses(config, view).entrySet()) {
            StatusResponse s = e.getValue();
            if (s != null && s.getLeaderKnown() && view.voters().contains((long) e.getKey().id())) {
                votes.merge(s.getLeaderId(), 1, Integer::sum);
            }
        }
        for (var e : votes.entrySet()) {
            if (e.getValue() >= view.quorum() && view.node(e.getKey()) != null) return view.node(e.getKey());
        }
        return null;
    }

    /** Every node's status (members, then the config's other servers), null for one that does not answer in time. */
    public static Map<ServerSpec, StatusResponse> statuses(ClusterConfig config) {
        return statuses(config, view(config));
    }

    private static Map<ServerSpec, StatusResponse> statuses(ClusterConfig config, ClusterView view) {
        Map<ServerSpec, StatusResponse> result = new LinkedHashMap<>();
        for (ServerSpec s : view.nodes().values()) result.put(s, status(config, s));
        return result;
    }

    /** The membership the running nodes know, with every member's addresses. */
    static ClusterView view(ClusterConfig config) {
        return ClusterView.of(config, s -> memberList(config, s));
    }

    /** One node's membership, or null if it does not answer within {@link #ANSWER_SECONDS}. */
    private static MemberListResponse memberList(ClusterConfig config, ServerSpec s) {
        ManagedChannel ch = channel(config, s);
        try {
            return KeyValueGrpc.newBlockingStub(ch).withDeadlineAfter(ANSWER_SECONDS, TimeUnit.SECONDS)
                    .memberList(MemberListRequest.getDefaultInstance());
        } catch (RuntimeException unreachable) {
            return null;
        } finally {
            ch.shutdownNow();
        }
    }

    private static void printStatus(ClusterConfig config, PrintStream out) {
        ClusterView view = view(config);
        out.println(view.describe());
        out.printf("%-4s %-22s %-22s %-16s %6s %8s %8s %6s%n", "ID", "CLIENT", "GRPC", "ROLE", "TERM", "COMMIT", "APPLIED", "LEADER");
        for (var e : statuses(config, view).entrySet()) {
            ServerSpec s = e.getKey();
            StatusResponse r = e.getValue();
            boolean member = view.member(s.id());
            if (r == null) {
                String role = !member ? "down, not member" : view.learners().contains((long) s.id()) ? "down, learner" : "down";
                out.printf("%-4d %-22s %-22s %-16s%n", s.id(), s.clientAddress(), s.logAddress(), role);
            } else {
                out.printf("%-4d %-22s %-22s %-16s %6d %8d %8d %6s%n", s.id(), s.clientAddress(), s.logAddress(),
                        r.getNotMember() ? "not member" : r.getLearner() ? "learner" : roleName(r.getRole()),
                        r.getTerm(), r.getCommitIndex(), r.getAppliedIndex(),
                        r.getLeaderKnown() ? Long.toString(r.getLeaderId()) : "-");
            }
        }
    }

    private static String roleName(Role role) {
        return switch (role) {
            case ROLE_LEADER -> "leader";
            case ROLE_FOLLOWER -> "follower";
            case ROLE_CANDIDATE -> "candidate";
            case ROLE_PRE_CANDIDATE -> "precandidate";
            default -> "unknown";
        };
    }

    private static void waitBriefly() {
        try {
            TimeUnit.MILLISECONDS.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
