package raftkv.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import raftkv.proto.kv.Member;
import raftkv.proto.kv.MemberListResponse;

/** {@code kvctl member list}: each member's id, addresses, voter or learner, match index, and the leader. */
@Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"List the members: ID, ROLE (voter or learner), GRPC and TEXT addresses, MATCH (how much of",
                "its log matches the leader's; '-' when no leader answered), and which one leads.",
                "With --output json: {\"leader\", \"lastIndex\", \"members\": [{\"id\", \"role\", \"grpc\", \"text\", \"match\"}]}."})
final class MemberListCommand implements Callable<Integer> {
    @ParentCommand
    MemberCommand member;

    @Mixin
    EndpointOptions options;

    @Override
    public Integer call() {
        MemberListResponse r;
        try (KvClient client = member.kvctl.connect(options)) {
            r = client.memberList();
        }
        Output out = member.kvctl.output();
        if (options.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("leader", r.getLeaderKnown() ? r.getLeaderId() : null);
            json.put("lastIndex", r.getLastLogIndex());
            List<Object> members = new ArrayList<>();
            for (Member m : r.getMembersList()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("id", m.getId());
                j.put("role", m.getVoter() ? "voter" : "learner");
                j.put("grpc", m.getPeerAddress());
                j.put("text", m.getClientAddress());
                j.put("match", m.getMatchKnown() ? m.getMatchIndex() : null);
                j.put("leader", r.getLeaderKnown() && r.getLeaderId() == m.getId());
                members.add(j);
            }
            json.put("members", members);
            out.json(json);
            return ExitCodes.OK;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "ROLE", "GRPC", "TEXT", "MATCH", "LEADER"});
        for (Member m : r.getMembersList()) {
            rows.add(new String[] {Long.toString(m.getId()), m.getVoter() ? "voter" : "learner", orDash(m.getPeerAddress()),
                    orDash(m.getClientAddress()), m.getMatchKnown() ? Long.toString(m.getMatchIndex()) : "-",
                    r.getLeaderKnown() && r.getLeaderId() == m.getId() ? "*" : ""});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) for (int i = 0; i < row.length; i++) width[i] = Math.max(width[i], row[i].length());
        for (String[] row : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                if (i > 0) sb.append("  ");
                sb.append(i == row.length - 1 ? row[i] : String.format("%-" + width[i] + "s", row[i]));
            }
            out.line(sb.toString().stripTrailing());
        }
        return ExitCodes.OK;
    }

    private static String orDash(String s) {
        return s.isEmpty() ? "-" : s;
    }
}
