package raftkv.server;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kv-server restore}'s command line (SPEC section 10), run by {@link ServerMain} through {@link Restore}. */
@Command(name = "restore",
        mixinStandardHelpOptions = true,
        versionProvider = BuildInfo.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
                "Builds node N's data folder for a NEW cluster from a snapshot file made by 'kvctl snapshot save', "
                        + "then exits; start the node as usual afterwards. Run it for every node of the new config, "
                        + "each with the same file: the nodes then start from the same state, elect a leader, and "
                        + "go on from the snapshot's index (versions keep increasing). Keys keep their values, "
                        + "versions and expiry deadlines; the new cluster's members are the config's servers.",
                "The file's checksum and contents are checked first. The folder is built aside and renamed into "
                        + "place, so a failed restore leaves nothing behind; a data folder that holds anything is "
                        + "refused.",
                ""},
        footer = {
                "",
                "Exit codes: 0 restored; 2 usage error, bad config, a data folder that is not empty, or a snapshot "
                        + "file that is damaged, truncated or unreadable (one line on stderr); 74 the data folder "
                        + "could not be written.",
                "",
                "Example:",
                "  kv-server restore --snapshot backup.snap --config new-cluster.json --id 0"})
final class RestoreOptions {
    @Option(names = "--snapshot", required = true, paramLabel = "FILE", description = "the snapshot file to restore")
    Path snapshot;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "config.json",
            description = "the new cluster's config: its path and servers (default: ${DEFAULT-VALUE})")
    Path config;

    @Option(names = "--id", required = true, paramLabel = "N", description = "the node whose data folder to build")
    int id;
}
