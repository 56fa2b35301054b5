package raftkv.server;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** kv-server's command line (SPEC sections 2 and 10), parsed by picocli in {@link ServerMain}. */
@Command(name = "kv-server",
        mixinStandardHelpOptions = true,
        versionProvider = BuildInfo.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        subcommands = RestoreOptions.class,
        synopsisSubcommandLabel = "[restore]",
        description = {
                "Runs node N of the raftkv cluster described by the config file, in the foreground. "
                        + "Logs go to stderr unless --log-file is given. SIGTERM (or SIGINT) stops it gracefully: "
                        + "a follower leaves Raft at once, a leader first hands leadership to its most up-to-date "
                        + "follower; commands in flight are answered or sent on to the leader.",
                ""},
        footer = {
                "",
                "Exit codes: 0 stopped by SIGTERM/SIGINT; 2 usage error, bad config, data folder in use or port in use "
                        + "(one line on stderr); 70 fatal error while running; 74 the write-ahead log is damaged in the "
                        + "middle (not just a torn tail) or does not reach back to the newest usable snapshot.",
                "",
                "kv-server restore --snapshot FILE --config FILE --id N builds node N's data folder for a new cluster "
                        + "from a backup (kvctl snapshot save); see kv-server restore --help."})
final class ServerOptions {
    /** --log-format. */
    enum LogFormat { text, json }

    // Required unless the restore subcommand is given (checked in ServerMain.parse): picocli would
    // otherwise ask for it before "restore", which has its own.
    @Option(names = "--id", paramLabel = "N", description = "this node's Id in the config's servers (required)")
    Integer id;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "config.json",
            description = "the cluster config (default: ${DEFAULT-VALUE})")
    Path config;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}); gRPC and Netty log at warn "
                    + "or above unless LEVEL is debug or trace")
    String logLevel;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text, or json: one JSON object a line, for log shippers (default: ${DEFAULT-VALUE})")
    LogFormat logFormat;

    @Option(names = "--join", description = {"start a node that is not in the initial membership (config.json's servers",
            "without this node): it waits, never campaigning, until a leader adds it (kvctl member add)",
            "and sends it the membership, log and snapshot. Its own entry in --config gives its address."})
    boolean join;

    @Option(names = "--log-file", paramLabel = "FILE",
            description = "log to FILE instead of stderr, rotated by size: FILE.1 is the newest old file")
    Path logFile;

    @Option(names = "--log-max-size", paramLabel = "SIZE", defaultValue = "64MB",
            description = "with --log-file: rotate once the file reaches SIZE, e.g. 500KB, 64MB, 1GB (default: ${DEFAULT-VALUE})")
    String logMaxSize;

    @Option(names = "--log-keep", paramLabel = "COUNT", defaultValue = "5",
            description = "with --log-file: old files kept, 1 to 20 (default: ${DEFAULT-VALUE})")
    int logKeep;

    /** Set by {@link ServerMain#parse} when the command line is {@code kv-server restore ...}. */
    RestoreOptions restore;

    /** The logging part, checked. */
    LogSetup.Settings logSettings() throws IllegalArgumentException {
        return LogSetup.Settings.parse(logLevel, logFormat == LogFormat.json, logFile, logMaxSize, logKeep);
    }
}
