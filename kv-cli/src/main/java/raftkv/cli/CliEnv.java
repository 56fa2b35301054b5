package raftkv.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What kvctl reads from and writes to outside its arguments: the standard streams, the
 * environment variables and the working folder. The process uses {@link #system()}; tests pass
 * their own, so that endpoint resolution and output can be checked without touching the JVM's.
 *
 * @param stdout      raw bytes: {@code get} writes a value's bytes here unchanged
 * @param stderr      error lines and bench progress
 * @param getenv      the environment variable of that name, or null
 * @param workingDir  where {@code ./config.json} is looked up
 * @param interactive true when a person is at a terminal ({@code System.console() != null}):
 *                    {@code get} then ends a value with a newline, {@code bench} draws a progress bar
 */
public record CliEnv(InputStream stdin, OutputStream stdout, PrintStream stderr,
                     Function<String, String> getenv, Path workingDir, boolean interactive) {

    public CliEnv {
        Objects.requireNonNull(stdin, "stdin");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(getenv, "getenv");
        Objects.requireNonNull(workingDir, "workingDir");
    }

    /**
     * The user's working folder when the launcher ran the JVM elsewhere: the release's bin/kvctl
     * runs it in the package's folder with a relative class path, the only way the class-data-sharing
     * archive made at build time matches it on Java 17 (an archive records the class path as given).
     * Every path kvctl reads or writes is resolved against {@link #workingDir()}, never the JVM's.
     */
    static final String WORKDIR_PROPERTY = "kvctl.workdir";

    /** The real process: System streams, System.getenv, the current folder (or {@value #WORKDIR_PROPERTY}). */
    public static CliEnv system() {
        String dir = System.getProperty(WORKDIR_PROPERTY);
        Path workingDir = dir == null || dir.isEmpty() ? Path.of("").toAbsolutePath() : Path.of(dir).toAbsolutePath();
        return new CliEnv(System.in, System.out, new PrintStream(System.err, true, StandardCharsets.UTF_8),
                System::getenv, workingDir, System.console() != null);
    }

    /** A non-interactive environment with the given variables, for tests. */
    public static CliEnv of(InputStream stdin, OutputStream stdout, PrintStream stderr, Map<String, String> env, Path workingDir) {
        Map<String, String> copy = Map.copyOf(env);
        return new CliEnv(stdin, stdout, stderr, copy::get, workingDir, false);
    }

    /** The same environment, but interactive or not. */
    public CliEnv withInteractive(boolean value) {
        return new CliEnv(stdin, stdout, stderr, getenv, workingDir, value);
    }
}
