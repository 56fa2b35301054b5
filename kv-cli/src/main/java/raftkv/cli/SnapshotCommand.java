package raftkv.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code kvctl snapshot save|status}: backups of the whole store (SPEC section 10). */
@Command(name = "snapshot", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        synopsisSubcommandLabel = "save|status",
        subcommands = {SnapshotSaveCommand.class, SnapshotStatusCommand.class},
        description = {"Back up the whole store to a file, and check such a file.",
                "'kv-server restore --snapshot FILE --config FILE --id N' builds a new cluster's nodes from it."},
        footer = {"", "Examples:", "  kvctl snapshot save backup.snap", "  kvctl snapshot status backup.snap"})
final class SnapshotCommand implements Callable<Integer> {
    @ParentCommand
    KvCtl kvctl;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing a command: save or status");
    }
}
