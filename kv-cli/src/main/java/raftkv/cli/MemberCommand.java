package raftkv.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code kvctl member list|add|promote|remove}: the cluster's membership (SPEC 9). */
@Command(name = "member", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        subcommands = {MemberListCommand.class, MemberChangeCommand.Add.class, MemberChangeCommand.Promote.class,
                MemberChangeCommand.Remove.class},
        description = {"List or change the cluster's members: voters, and learners (which get the log but do not vote).",
                "One change at a time, made by the leader through the Raft log. A refused change (another in flight,",
                "a learner far behind, the last voter, ...) prints one line, changes nothing and exits with 3."},
        footer = {"", "Replacing a failed node 2 by a new node 5:",
                "  kvctl member remove 2",
                "  kv-server --id 5 --config new.json --join &",
                "  kvctl member add 5 --host 10.0.0.5 --client-port 8005 --log-port 9005 --learner",
                "  kvctl member promote 5          # once it has caught up (see member list)"})
final class MemberCommand implements Callable<Integer> {
    @ParentCommand
    KvCtl kvctl;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing a member command: one of list, add, promote, remove");
    }
}
