package raftkv.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kvctl}, the command-line client of raftkv (SPEC section 6). Run it through
 * {@link #commandLine(CliEnv)}, which installs the one-line error handling and exit codes of
 * {@link ExitCodes}; a bare {@code new CommandLine(new KvCtl())} has picocli's default handlers.
 */
@Command(name = "kvctl",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        synopsisSubcommandLabel = "COMMAND",
        description = {
                "The command-line client of raftkv, a key-value store replicated with Raft. It talks gRPC to "
                        + "the cluster's nodes (their LogPorts) and fails over when one is down.",
                ""},
        footer = {
                "",
                "Endpoints, first found wins: --endpoints HOST:PORT,...; --config FILE; the KVCTL_ENDPOINTS "
                        + "variable; the servers of ./config.json (their LogPorts).",
                "",
                "Exit codes: 0 success; 1 key not found; 2 usage error; 3 version mismatch (cas); "
                        + "4 cluster unavailable or timed out (a write's outcome is then unknown); 5 internal error. "
                        + "Errors go to stderr as one line starting with \"kvctl: \".",
                "",
                "Examples:",
                "  kvctl set greeting hello          kvctl get greeting",
                "  kvctl getm greeting               kvctl cas greeting 42 bonjour",
                "  kvctl set photo --file cat.jpg    kvctl get photo > copy.jpg",
                "  kvctl status                      kvctl bench --duration 10 --clients 16",
                "  kvctl snapshot save backup.snap   kvctl snapshot status backup.snap",
                "Run 'kvctl COMMAND --help' for a command's options."})
public final class KvCtl implements Callable<Integer> {
    private static final String NETTY_JFR = "io.grpc.netty.shaded.io.netty.jfr.enabled";
    // The commands, in the order --help lists them. Added in code rather than in @Command, so that a
    // one-shot run builds picocli's model (reflection over every option) of its own command only.
    private static final Map<String, Class<?>> COMMANDS = commands(SetCommand.class, GetCommand.class,
            GetMetaCommand.class, CasCommand.class, DeleteCommand.class, StatusCommand.class, MoveLeaderCommand.class,
            SnapshotCommand.class, MemberCommand.class, BenchCommand.class, CommandLine.HelpCommand.class);

    private final CliEnv env;

    @Spec
    CommandSpec spec;

    /** The real process environment. */
    public KvCtl() {
        this(CliEnv.system());
    }

    public KvCtl(CliEnv env) {
        this.env = env;
    }

    public static void main(String[] args) {
        // Netty registers its JFR events at start-up when JFR is present: tens of milliseconds a
        // one-shot command does not need. Set before any Netty class loads; -D overrides it.
        if (System.getProperty(NETTY_JFR) == null) System.setProperty(NETTY_JFR, "false");
        System.exit(commandLine(CliEnv.system(), args).execute(args));
    }

    /** kvctl with its output, error handling and exit codes wired to {@code env}, and every command. */
    public static CommandLine commandLine(CliEnv env) {
        return commandLine(env, new String[0]);
    }

    /**
     * The same, with only the command that {@code args} names when it names one (start-up time:
     * picocli reads every option of every command it is given); with every command otherwise, for
     * {@code kvctl --help}, {@code kvctl help ...} and the "missing a command" error.
     */
    public static CommandLine commandLine(CliEnv env, String[] args) {
        ExitCodes exitCodes = new ExitCodes();
        CommandLine cmd = new CommandLine(new KvCtl(env));
        Class<?> only = args.length > 0 && !args[0].equals("help") ? COMMANDS.get(args[0]) : null;
        if (only != null) {
            cmd.addSubcommand(only);
        } else {
            for (Class<?> c : COMMANDS.values()) cmd.addSubcommand(c);
        }
        cmd
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(exitCodes)
                .setParameterExceptionHandler(exitCodes);
        cmd.setOut(new PrintWriter(new OutputStreamWriter(env.stdout(), StandardCharsets.UTF_8), true));
        cmd.setErr(new PrintWriter(new OutputStreamWriter(env.stderr(), StandardCharsets.UTF_8), true));
        return cmd;
    }

    private static Map<String, Class<?>> commands(Class<?>... classes) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (Class<?> c : classes) byName.put(c.getAnnotation(Command.class).name(), c);
        return Collections.unmodifiableMap(byName);
    }

    /** {@code kvctl} alone: a usage error that lists the commands. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(),
                "missing a command: one of set, get, getm, cas, delete, status, move-leader, snapshot, bench");
    }

    CliEnv env() {
        return env;
    }

    Output output() {
        return new Output(env);
    }

    /** A client for the endpoints the options resolve to. */
    KvClient connect(EndpointOptions options) {
        return KvClient.open(options.grpcEndpoints(env).endpoints(), options.timeout(), options.maxMessageBytes(),
                "kvctl/" + VersionProvider.version(), options.tls(env).credentials());
    }
}
