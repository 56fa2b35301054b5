package raftkv.cli;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.StatusResponse;

/** {@code kvctl status}: every endpoint's own view of the cluster, as a table. */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Show each node's role, term, commit and applied index, and leader.",
                "Asks every endpoint for its node's own view and prints a table: the node's id, its gRPC address "
                        + "(the endpoint), its text-protocol address, its role, term, commit and applied index, and the "
                        + "id of the leader it knows. An endpoint that does not answer within 5 s (or --timeout if "
                        + "shorter) shows as down. The last line "
                        + "names the leader most nodes know and how many name it. Each node answers from its own "
                        + "state, so views may differ for a moment during an election.",
                "With --output json: {\"nodes\": [...], \"leader\", \"endpoints\", \"up\"}.",
                "Exits with 0 if any endpoint answered, 4 if none did."},
        footer = {"", "Examples:", "  kvctl status", "  kvctl status --endpoints localhost:9000,localhost:9001 -o json"})
final class StatusCommand implements Callable<Integer> {
    /** A node answers Status from its own state at once; one that takes longer is shown as down. */
    static final Duration MAX_WAIT = Duration.ofSeconds(5);

    @ParentCommand
    KvCtl kvctl;

    @Mixin
    EndpointOptions options;

    /** One endpoint's answer: exactly one of status and error is set. */
    record Row(Endpoint endpoint, StatusResponse status, String error) {}

    @Override
    public Integer call() {
        List<Row> rows = new ArrayList<>();
        try (KvClient client = kvctl.connect(options)) {
            List<CompletableFuture<StatusResponse>> calls = new ArrayList<>();
            Duration deadline = options.timeout().compareTo(MAX_WAIT) < 0 ? options.timeout() : MAX_WAIT;
            for (Endpoint e : client.endpoints()) calls.add(client.status(e, deadline));
            for (int i = 0; i < calls.size(); i++) {
                Endpoint e = client.endpoints().get(i);
                try {
                    rows.add(new Row(e, calls.get(i).join(), null));
                } catch (CompletionException failed) {
                    rows.add(new Row(e, null, ExitCodes.message(failed.getCause())));
                }
            }
        }
        Leader leader = Leader.of(rows);
        Output out = kvctl.output();
        if (options.json()) {
            out.json(json(rows, leader));
        } else {
            for (String line : table(rows)) out.line(line);
            out.line(leader.describe(rows.size()));
        }
        boolean anyUp = rows.stream().anyMatch(r -> r.status() != null);
        if (!anyUp) {
            throw new KvFailure(Status.Code.UNAVAILABLE, "status: no endpoint answered: " + rows.get(0).error()
                    + (rows.size() > 1 ? " (and " + (rows.size() - 1) + " more)" : ""));
        }
        return ExitCodes.OK;
    }

    /** The leader most answering nodes name, and how many name it. */
    record Leader(Long id, String address, int namedBy) {
        static Leader of(List<Row> rows) {
            Map<Long, Integer> votes = new LinkedHashMap<>();
            Map<Long, String> addresses = new LinkedHashMap<>();
            for (Row r : rows) {
                StatusResponse s = r.status();
                if (s != null && s.getLeaderKnown()) {
                    votes.merge(s.getLeaderId(), 1, Integer::sum);
                    addresses.putIfAbsent(s.getLeaderId(), s.getLeaderAddress());
                }
            }
            Long best = null;
            for (var e : votes.entrySet()) {
                if (best == null || e.getValue() > votes.get(best)) best = e.getKey();
            }
            return best == null ? new Leader(null, null, 0) : new Leader(best, addresses.get(best), votes.get(best));
        }

        String describe(int endpoints) {
            if (id == null) return "leader: none known (an election may be running, or a majority is down)";
            return "leader: node " + id + " at " + address + " (named by " + namedBy + " of " + endpoints + " endpoints)";
        }
    }

    /** 1536 -> "1.5 KiB". */
    static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static List<String> table(List<Row> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"ID", "ADDRESS", "TEXT", "ROLE", "TERM", "COMMIT", "APPLIED", "LEADER", "SNAPSHOT", "DATA",
                "VERSION"});
        for (Row r : rows) {
            StatusResponse s = r.status();
            if (s == null) {
                cells.add(new String[] {"-", r.endpoint().toString(), "-", "down", "-", "-", "-", "-", "-", "-", "-"});
            } else {
                cells.add(new String[] {Long.toString(s.getNodeId()), r.endpoint().toString(), s.getClientAddress(),
                        roleName(s), Long.toString(s.getTerm()), Long.toString(s.getCommitIndex()),
                        Long.toString(s.getAppliedIndex()), s.getLeaderKnown() ? Long.toString(s.getLeaderId()) : "-",
                        Long.toString(s.getSnapshotIndex()), bytes(s.getDataBytes()),
                        s.getVersion().isEmpty() ? "-" : s.getVersion()});
            }
        }
        int[] width = new int[cells.get(0).length];
        for (String[] row : cells) {
            for (int i = 0; i < row.length; i++) width[i] = Math.max(width[i], row[i].length());
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : cells) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                boolean number = i >= 4 && i <= 9; // TERM ... DATA: right-aligned
                String cell = number ? " ".repeat(width[i] - row[i].length()) + row[i]
                        : row[i] + " ".repeat(width[i] - row[i].length());
                sb.append(cell).append(i + 1 < row.length ? "  " : "");
            }
            lines.add(sb.toString().stripTrailing());
        }
        return lines;
    }

    private static Map<String, Object> json(List<Row> rows, Leader leader) {
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("endpoint", r.endpoint().toString());
            StatusResponse s = r.status();
            n.put("up", s != null);
            if (s == null) {
                n.put("error", r.error());
            } else {
                n.put("id", s.getNodeId());
                n.put("grpc_address", s.getPeerAddress());
                n.put("text_address", s.getClientAddress());
                n.put("role", roleName(s));
                n.put("term", s.getTerm());
                n.put("commit_index", s.getCommitIndex());
                n.put("applied_index", s.getAppliedIndex());
                n.put("last_log_index", s.getLastLogIndex());
                n.put("leader_id", s.getLeaderKnown() ? s.getLeaderId() : null);
                n.put("leader_address", s.getLeaderKnown() ? s.getLeaderAddress() : null);
                n.put("snapshot_index", s.getSnapshotIndex());
                n.put("data_bytes", s.getDataBytes());
                n.put("version", s.getVersion().isEmpty() ? null : s.getVersion());
            }
            nodes.add(n);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("nodes", nodes);
        if (leader.id() == null) {
            json.put("leader", null);
        } else {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("id", leader.id());
            l.put("address", leader.address());
            l.put("named_by", leader.namedBy());
            json.put("leader", l);
        }
        json.put("endpoints", rows.size());
        json.put("up", rows.stream().filter(r -> r.status() != null).count());
        return json;
    }

    /** The Raft role, or "learner" / "not member" for a node outside the voters. */
    static String roleName(StatusResponse s) {
        if (s.getNotMember()) return "not member";
        if (s.getLearner()) return "learner";
        return roleName(s.getRole());
    }

    static String roleName(Role role) {
        return switch (role) {
            case ROLE_LEADER -> "leader";
            case ROLE_FOLLOWER -> "follower";
            case ROLE_CANDIDATE -> "candidate";
            case ROLE_PRE_CANDIDATE -> "pre-candidate";
            default -> "unknown";
        };
    }
}
