package raftkv.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs kvctl in-process, as {@code KvCtl.commandLine(env, args).execute(args)} (as main does), with captured streams. */
final class Cli {
    /** One run: exit code, stdout's bytes, stderr's text. */
    record Result(int exit, byte[] stdoutBytes, String stderr) {
        String stdout() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }

        List<String> stderrLines() {
            return stderr.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout() + "--- stderr\n" + stderr;
        }
    }

    private final Map<String, String> env = new HashMap<>();
    private Path workingDir;
    private byte[] stdin = new byte[0];
    private boolean interactive;

    Cli(Path workingDir) {
        this.workingDir = workingDir;
    }

    Cli env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Cli stdin(byte[] bytes) {
        stdin = bytes.clone();
        return this;
    }

    Cli interactive(boolean value) {
        interactive = value;
        return this;
    }

    Cli workingDir(Path dir) {
        workingDir = dir;
        return this;
    }

    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        CliEnv cliEnv = CliEnv.of(new ByteArrayInputStream(stdin), out, errStream, env, workingDir).withInteractive(interactive);
        int exit = KvCtl.commandLine(cliEnv, args).execute(args);
        errStream.flush();
        return new Result(exit, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }
}
