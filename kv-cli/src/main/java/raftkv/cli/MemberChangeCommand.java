package raftkv.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import raftkv.proto.kv.MemberChangeKind;
import raftkv.proto.kv.MemberChangeRequest;
import raftkv.proto.kv.MemberChangeResponse;

/** {@code kvctl member add|promote|remove}: one membership change, answered once committed. */
abstract class MemberChangeCommand implements Callable<Integer> {
    @ParentCommand
    MemberCommand member;

    @Mixin
    EndpointOptions options;

    @Parameters(index = "0", paramLabel = "ID", description = "The node's id.")
    long id;

    abstract MemberChangeRequest request();

    abstract String verb();

    @Override
    public Integer call() {
        if (id < 0 || id > Integer.MAX_VALUE) throw new UsageException("ID must be a node id (0 or more), got " + id);
        MemberChangeResponse r;
        try (KvClient client = member.kvctl.connect(options)) {
            r = client.memberChange("member " + verb() + " " + id, request());
        }
        Output out = member.kvctl.output();
        if (options.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("id", id);
            json.put("change", verb());
            json.put("index", r.getIndex());
            json.put("voters", r.getMembersList().stream().filter(m -> m.getVoter()).map(m -> m.getId()).toList());
            json.put("learners", r.getMembersList().stream().filter(m -> !m.getVoter()).map(m -> m.getId()).toList());
            out.json(json);
        } else {
            out.line("member " + verb() + " " + id + ": committed at log entry " + r.getIndex() + "; voters "
                    + r.getMembersList().stream().filter(m -> m.getVoter()).map(m -> m.getId()).toList() + ", learners "
                    + r.getMembersList().stream().filter(m -> !m.getVoter()).map(m -> m.getId()).toList());
        }
        return ExitCodes.OK;
    }

    @Command(name = "add", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Add node ID, reachable at --host with its text and gRPC ports, as a voter, or with --learner",
                    "as a learner (recommended: promote it once it has caught up). Start it first with",
                    "'kv-server --id ID --config FILE --join', FILE naming it with these addresses.",
                    "ID must be new: the id of a node removed before is never used again (refused)."})
    static final class Add extends MemberChangeCommand {
        @Option(names = "--host", required = true, paramLabel = "H", description = "its host name or address")
        String host;

        @Option(names = "--client-port", required = true, paramLabel = "P", description = "its text protocol port (ClientPort)")
        int clientPort;

        @Option(names = "--log-port", required = true, paramLabel = "Q", description = "its gRPC port (LogPort)")
        int logPort;

        @Option(names = "--learner", description = "add it as a learner (gets the log, does not vote)")
        boolean learner;

        @Override
        MemberChangeRequest request() {
            if (host.isEmpty() || host.length() > 255) throw new UsageException("--host must be 1-255 characters");
            if (clientPort < 1 || clientPort > 65535 || logPort < 1 || logPort > 65535 || clientPort == logPort) {
                throw new UsageException("--client-port and --log-port must be two different ports in 1-65535");
            }
            return MemberChangeRequest.newBuilder()
                    .setKind(learner ? MemberChangeKind.MEMBER_CHANGE_KIND_ADD_LEARNER : MemberChangeKind.MEMBER_CHANGE_KIND_ADD_VOTER)
                    .setNodeId(id).setHost(host).setClientPort(clientPort).setLogPort(logPort).build();
        }

        @Override
        String verb() {
            return "add";
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Make learner ID a voter; refused while it is far behind the leader (see member list's MATCH)."})
    static final class Promote extends MemberChangeCommand {
        @Override
        MemberChangeRequest request() {
            return MemberChangeRequest.newBuilder().setKind(MemberChangeKind.MEMBER_CHANGE_KIND_PROMOTE).setNodeId(id).build();
        }

        @Override
        String verb() {
            return "promote";
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Remove member ID, the leader included (it hands leadership over and steps down once the",
                    "change commits); refused for the last voter. Stop the removed node's process afterwards.",
                    "Its id is retired: a machine that replaces it joins under a new id."})
    static final class Remove extends MemberChangeCommand {
        @Override
        MemberChangeRequest request() {
            return MemberChangeRequest.newBuilder().setKind(MemberChangeKind.MEMBER_CHANGE_KIND_REMOVE).setNodeId(id).build();
        }

        @Override
        String verb() {
            return "remove";
        }
    }
}
