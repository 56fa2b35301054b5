package raftkv.server;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import raftkv.config.ClusterConfig;
import raftkv.config.ConfigException;
import raftkv.config.ConfigLoader;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;
import raftkv.security.AdminChannels;

/**
 * Helper behind {@code scripts/cluster}: {@code info} prints the data folder and the servers of
 * a config (for the shell script), {@code wait-leader SECONDS} waits until a majority of nodes
 * agree on one leader, and {@code status} prints each node's view as a table (over TLS when the
 * config has {@code tls}, see {@link AdminChannels}); {@code write-tls-config OUT CERTDIR} is
 * {@code scripts/certs --write-config} ({@link TlsConfigWriter}).
 */
public final class ClusterTool {
    private ClusterTool() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2) {
            err.println("usage: ClusterTool CONFIG info|status|wait-leader SECONDS");
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
            default -> {
                err.println("cluster: unknown action " + args[1]);
                return 2;
            }
        }
    }

    /** The leader that a majority of nodes report, or null. */
    public static ServerSpec agreedLeader(ClusterConfig config) {
        Map<Long, Integer> votes = new LinkedHashMap<>();
        for (StatusResponse s : statuses(config).values()) {
            if (s != null && s.getLeaderKnown()) votes.merge(s.getLeaderId(), 1, Integer::sum);
        }
        int quorum = config.servers().size() / 2 + 1;
        for (var e : votes.entrySet()) {
            if (e.getValue() >= quorum) return config.server((int) (long) e.getKey());
        }
        return null;
    }

    public static Map<ServerSpec, StatusResponse> statuses(ClusterConfig config) {
        Map<ServerSpec, StatusResponse> result = new LinkedHashMap<>();
        List<ManagedChannel> channels = new ArrayList<>();
        ChannelCredentials credentials = AdminChannels.credentials(config, System.getenv());
        try {
            for (ServerSpec s : config.servers()) {
                ManagedChannel ch = NettyChannelBuilder.forAddress(s.hostname(), s.logPort(), credentials).build();
                channels.add(ch);
                StatusResponse r = null;
                try {
                    r = KeyValueGrpc.newBlockingStub(ch).withDeadlineAfter(1, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
                } catch (RuntimeException unreachable) {
                    // reported as "down"
                }
                result.put(s, r);
            }
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
        }
        return result;
    }

    private static void printStatus(ClusterConfig config, PrintStream out) {
        out.printf("%-4s %-22s %-22s %-10s %6s %8s %8s %6s%n", "ID", "CLIENT", "GRPC", "ROLE", "TERM", "COMMIT", "APPLIED", "LEADER");
        for (var e : statuses(config).entrySet()) {
            ServerSpec s = e.getKey();
            StatusResponse r = e.getValue();
            if (r == null) {
                out.printf("%-4d %-22s %-22s %-10s%n", s.id(), s.clientAddress(), s.logAddress(), "down");
            } else {
                out.printf("%-4d %-22s %-22s %-10s %6d %8d %8d %6s%n", s.id(), s.clientAddress(), s.logAddress(),
                        roleName(r.getRole()), r.getTerm(), r.getCommitIndex(), r.getAppliedIndex(),
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
