package raftkv.server;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import raftkv.config.ClusterConfig;
import raftkv.config.ConfigException;
import raftkv.config.ConfigLoader;
import raftkv.wal.PrivateFiles;
import raftkv.wal.WalCorruptException;

/**
 * {@code scripts/kv-server --id N [--config FILE] [--log-...]} ({@link ServerOptions}): runs one
 * node in the foreground, logging to stderr or a rotated file. SIGTERM (or SIGINT) stops it
 * gracefully (SPEC 2, {@link NodeProcess#stopGracefully}) with exit code 0; a bad command line, a bad
 * config, a data folder in use or a port in use stops it at start with one line and exit code 2.
 */
public final class ServerMain {
    private static final Logger log = LoggerFactory.getLogger(ServerMain.class);

    /** Exit codes of the server process. */
    static final int EXIT_OK = 0;
    static final int EXIT_USAGE = 2;
    static final int EXIT_FATAL = 70;
    // The log on disk is damaged in the middle: never start on silently lost entries.
    static final int EXIT_CORRUPT_LOG = 74;

    private ServerMain() {}

    public static void main(String[] args) {
        NodeProcess node;
        try {
            ServerOptions options = parse(args);
            if (options.restore != null) System.exit(restore(options.restore, System.out, System.err));
            node = start(options);
        } catch (StartupException e) {
            System.err.println("kv-server: " + e.getMessage());
            System.exit(e.exitCode);
            return;
        }
        NodeProcess running = node;
        Runnable stop = () -> {
            log.info("node {}: shutting down", running.id());
            running.stopGracefully();
            log.info("node {}: stopped", running.id());
            System.exit(EXIT_OK);
        };
        handleSignal("TERM", running::beginStop, stop);
        handleSignal("INT", running::beginStop, stop);
        // In front of the JVM's handler: the node stops acknowledging peers the moment SIGTERM arrives.
        if (SignalFlag.install()) log.info("node {}: SIGTERM is noticed in the signal handler itself", running.id());
        else log.info("node {}: SIGTERM is noticed when the JVM runs its handler (no native signal flag)", running.id());
        running.awaitFatal().thenAccept(t -> {
            log.error("node {}: stopping after a fatal error: {}", running.id(), t.toString());
            Runtime.getRuntime().halt(EXIT_FATAL);
        });
    }

    /**
     * On signal {@code name}: {@code atOnce} on the signal's own thread (leaving Raft must not wait
     * for a thread to start: SPEC 2), then {@code action} on a new thread.
     */
    @SuppressWarnings("sunapi")
    private static void handleSignal(String name, Runnable atOnce, Runnable action) {
        // A shutdown hook would leave the JVM's exit code at 128+15; the contract is exit 0 on SIGTERM.
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
            atOnce.run();
            new Thread(action, "shutdown").start();
        });
    }

    /** Parses arguments, sets up logging, loads the config, claims the data folder and starts the node. */
    static NodeProcess start(String[] args) throws StartupException {
        ServerOptions options = parse(args);
        if (options.restore != null) throw new StartupException(EXIT_USAGE, "restore does not start a node");
        return start(options);
    }

    private static NodeProcess start(ServerOptions options) throws StartupException {
        try {
            LogSetup.configure(options.logSettings());
        } catch (IllegalArgumentException e) {
            throw new StartupException(EXIT_USAGE, e.getMessage());
        }
        int id = options.id;
        Path configFile = options.config;
        ClusterConfig config;
        try {
            config = ConfigLoader.load(configFile);
            config.server(id);
        } catch (ConfigException e) {
            throw new StartupException(EXIT_USAGE, e.getMessage());
        }
        for (String warning : config.warnings()) log.warn("{}", warning);
        Path dir = config.nodeDir(id);
        FileLock lock = lockDataDir(dir);
        try {
            return NodeProcess.start(config, id, lock, options.join);
        } catch (NodeProcess.BindException e) {
            releaseQuietly(lock);
            throw new StartupException(EXIT_USAGE, e.getMessage());
        } catch (IOException e) {
            releaseQuietly(lock);
            throw new StartupException(EXIT_USAGE, "cannot start node " + id + ": " + e.getMessage());
        } catch (WalCorruptException e) {
            releaseQuietly(lock);
            throw new StartupException(EXIT_CORRUPT_LOG, "node " + id + " refuses to start: its write-ahead log is damaged: "
                    + e.getMessage());
        } catch (UncheckedIOException e) {
            // The data folder cannot be read or written (a full disk, a file where a folder belongs, ...).
            releaseQuietly(lock);
            throw new StartupException(EXIT_CORRUPT_LOG, "node " + id + " cannot use its data folder " + dir + ": "
                    + causes(e));
        } catch (RuntimeException e) {
            releaseQuietly(lock);
            throw new StartupException(EXIT_FATAL, "node " + id + " failed to start: " + causes(e));
        }
    }

    /**
     * {@code kv-server restore} ({@link Restore}): one line on {@code out} on success, else one on
     * {@code err}; returns the exit code.
     */
    static int restore(RestoreOptions options, PrintStream out, PrintStream err) {
        try {
            LogSetup.configure(LogSetup.Settings.parse("warn", false, null, "64MB", 5));
            ClusterConfig config = ConfigLoader.load(options.config);
            config.server(options.id);
            Restore.Done done = Restore.run(config, options.id, options.snapshot);
            out.println("node " + options.id + ": restored the snapshot at entry " + done.snapshot().index() + " (term "
                    + done.snapshot().term() + ", " + done.keys() + " keys) into " + done.dir());
            return EXIT_OK;
        } catch (ConfigException e) {
            err.println("kv-server restore: " + e.getMessage());
            return EXIT_USAGE;
        } catch (Restore.Failed e) {
            err.println("kv-server restore: " + e.getMessage());
            return e.exitCode;
        }
    }

    /** The exception's message, then each cause's type and message, on one line. */
    static String causes(Throwable t) {
        StringBuilder line = new StringBuilder(String.valueOf(t.getMessage()));
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            String part = c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
            if (line.indexOf(part) < 0) line.append(": ").append(part);
        }
        return line.toString();
    }

    /** One process per data folder: a second node on the same folder would corrupt its log. */
    private static FileLock lockDataDir(Path dir) throws StartupException {
        try {
            PrivateFiles.createDirectories(dir); // 0700, as every folder and file of the node (SPEC section 8)
            FileChannel channel = PrivateFiles.open(dir.resolve("LOCK"), Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE));
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw new StartupException(EXIT_USAGE, "data folder " + dir + " is in use by another kv-server process");
            }
            return lock;
        } catch (IOException e) {
            throw new StartupException(EXIT_USAGE, "cannot use data folder " + dir + ": " + e.getMessage());
        }
    }

    private static void releaseQuietly(FileLock lock) {
        try {
            lock.channel().close();
        } catch (IOException ignored) {
            // the process is exiting; the OS drops the lock anyway
        }
    }

    /**
     * The command line, checked; {@code --help} and {@code --version} print to stdout and exit 0
     * here. Any usage error is one line (picocli's message), exit code 2.
     */
    static ServerOptions parse(String[] args) throws StartupException {
        ServerOptions options = new ServerOptions();
        CommandLine cmd = new CommandLine(options).setCaseInsensitiveEnumValuesAllowed(true);
        CommandLine.ParseResult parsed;
        try {
            parsed = cmd.parseArgs(args);
        } catch (ParameterException e) {
            throw new StartupException(EXIT_USAGE, e.getMessage() + " (see " + e.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help)");
        }
        CommandLine asked = parsed.hasSubcommand() ? parsed.subcommand().commandSpec().commandLine() : cmd;
        if (asked.isUsageHelpRequested()) {
            asked.usage(System.out);
            System.exit(EXIT_OK);
        }
        if (asked.isVersionHelpRequested()) {
            asked.printVersionHelp(System.out);
            System.exit(EXIT_OK);
        }
        if (parsed.hasSubcommand()) {
            options.restore = parsed.subcommand().commandSpec().commandLine().getCommand();
            if (options.restore.id < 0) {
                throw new StartupException(EXIT_USAGE, "--id must be a non-negative integer, got " + options.restore.id);
            }
            return options;
        }
        if (options.id == null) throw new StartupException(EXIT_USAGE, "Missing required option: '--id=N' (see kv-server --help)");
        if (options.id < 0) throw new StartupException(EXIT_USAGE, "--id must be a non-negative integer, got " + options.id);
        return options;
    }

    /** A start-up failure: one line for the user and the exit code. */
    static final class StartupException extends Exception {
        final int exitCode;

        StartupException(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }
    }
}
