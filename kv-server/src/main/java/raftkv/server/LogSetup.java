package raftkv.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusUtil;
import ch.qos.logback.core.util.Duration;
import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The node's logging, set from its command line before anything else logs: Logback, text or
 * JSON lines (Logback's own JsonEncoder: one object a line), to stderr or to a file that rotates
 * by size, keeping a bounded number of old files ({@code FILE.1} the newest). gRPC and Netty log
 * through java.util.logging; that is bridged into the same appenders.
 */
final class LogSetup {
    // Old files past this many are deleted; Logback's FixedWindowRollingPolicy allows at most 20.
    static final int MAX_KEEP = 20;
    private static final long SIZE_CHECK_MS = 200;
    private static final String TEXT_PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

    /** What the command line asked for, checked: level, format and the optional rotated file. */
    record Settings(Level level, boolean json, Path file, FileSize maxFileSize, int keep, long sizeCheckMs) {
        static Settings parse(String level, boolean json, Path file, String maxSize, int keep) {
            Level parsed = switch (level.toLowerCase(Locale.ROOT)) {
                case "error" -> Level.ERROR;
                case "warn", "warning" -> Level.WARN;
                case "info" -> Level.INFO;
                case "debug" -> Level.DEBUG;
                case "trace" -> Level.TRACE;
                default -> throw new IllegalArgumentException(
                        "--log-level must be error, warn, info, debug or trace, got \"" + level + "\"");
            };
            FileSize size;
            try {
                size = FileSize.valueOf(maxSize);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--log-max-size must be a size such as 500KB, 64MB or 1GB, got \""
                        + maxSize + "\"");
            }
            if (size.getSize() < 1024) throw new IllegalArgumentException("--log-max-size must be at least 1KB");
            if (keep < 1 || keep > MAX_KEEP) {
                throw new IllegalArgumentException("--log-keep must be 1 to " + MAX_KEEP + ", got " + keep);
            }
            return new Settings(parsed, json, file, size, keep, SIZE_CHECK_MS);
        }

        /** Tests: look at the file's size on every event, so each file ends within a line of the limit. */
        Settings checkingSizeEveryEvent() {
            return new Settings(level, json, file, maxFileSize, keep, 0);
        }
    }

    private LogSetup() {}

    /** Configures the process's Logback context; throws if the log file cannot be written. */
    static void configure(Settings settings) {
        configure((LoggerContext) LoggerFactory.getILoggerFactory(), settings);
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }

    /** Configures {@code context} alone (tests use a context of their own). */
    static void configure(LoggerContext context, Settings settings) {
        context.reset();
        // Keeps java.util.logging's levels in step, so disabled JUL records are dropped before the bridge.
        LevelChangePropagator julLevels = new LevelChangePropagator();
        julLevels.setContext(context);
        julLevels.setResetJUL(true);
        julLevels.start();
        context.addListener(julLevels);

        Encoder<ILoggingEvent> encoder = settings.json() ? jsonEncoder() : textEncoder();
        encoder.setContext(context);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = settings.file() == null ? console() : rollingFile(context, settings);
        appender.setContext(context);
        appender.setName(settings.file() == null ? "stderr" : "file");
        appender.setEncoder(encoder);
        long since = System.currentTimeMillis();
        appender.start();
        if (new StatusUtil(context).getHighestLevel(since) >= Status.ERROR || !appender.isStarted()) {
            throw new IllegalArgumentException("cannot write the log file " + settings.file());
        }

        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(settings.level());
        root.addAppender(appender);
        // gRPC and Netty are chatty at info; their warnings and errors still show.
        Level libraries = settings.level().isGreaterOrEqual(Level.INFO) ? Level.WARN : settings.level();
        context.getLogger("io.grpc").setLevel(libraries);
        context.getLogger("io.netty").setLevel(libraries);
    }

    /** timestamp (ms since the epoch), level, threadName, loggerName, mdc, formattedMessage, throwable. */
    private static JsonEncoder jsonEncoder() {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithContext(false);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithFormattedMessage(true);
        return encoder;
    }

    private static PatternLayoutEncoder textEncoder() {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setPattern(TEXT_PATTERN);
        return encoder;
    }

    private static ConsoleAppender<ILoggingEvent> console() {
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setTarget("System.err");
        return console;
    }

    private static RollingFileAppender<ILoggingEvent> rollingFile(LoggerContext context, Settings settings) {
        String file = settings.file().toAbsolutePath().toString();
        RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
        appender.setContext(context);
        appender.setFile(file);
        FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
        rolling.setContext(context);
        rolling.setParent(appender);
        rolling.setFileNamePattern(file + ".%i");
        rolling.setMinIndex(1);
        rolling.setMaxIndex(settings.keep());
        rolling.start();
        SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
        trigger.setContext(context);
        trigger.setMaxFileSize(settings.maxFileSize());
        // Logback looks at the file's size at most this often (its default is once a minute, enough
        // for a node logging fast to overshoot the limit many times over).
        trigger.setCheckIncrement(Duration.buildByMilliseconds(settings.sizeCheckMs()));
        trigger.start();
        appender.setRollingPolicy(rolling);
        appender.setTriggeringPolicy(trigger);
        return appender;
    }
}
