package raftkv.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code kvctl move-leader ID}: hands leadership to node ID (kv.proto MoveLeader). */
@Command(name = "move-leader", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Hand leadership to node ID, as before taking the leader down for maintenance.",
                "The leader stops taking writes, brings ID's log up to date and tells it to campaign at once,",
                "so no election timeout passes without a leader; writes meanwhile wait and then go to ID.",
                "Prints the new leader and its term; with --output json: {\"leader\", \"term\"}.",
                "Exits with 2 if there is no node ID, 4 if ID did not take over within two election timeouts",
                "(leadership then stays where it was)."},
        footer = {"", "Example:", "  kvctl move-leader 2"})
final class MoveLeaderCommand implements Callable<Integer> {
    @ParentCommand
    KvCtl kvctl;

    @Mixin
    EndpointOptions options;

    @Parameters(index = "0", paramLabel = "ID", description = "The id of the node that is to lead (its \"Id\" in config.json).")
    long target;

    @Override
    public Integer call() {
        if (target < 0) throw new UsageException("ID must be a node id (0 or more), got " + target);
        long term;
        try (KvClient client = kvctl.connect(options)) {
            term = client.moveLeader(target);
        }
        Output out = kvctl.output();
        if (options.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("leader", target);
            json.put("term", term);
            out.json(json);
        } else {
            out.line("node " + target + " leads in term " + term);
        }
        return ExitCodes.OK;
    }
}
