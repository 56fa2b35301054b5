package raftkv.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Where a command's result goes: stdout, as text lines, raw bytes, or one JSON object. */
final class Output {
    private final CliEnv env;

    Output(CliEnv env) {
        this.env = env;
    }

    void line(String text) {
        bytes((text + "\n").getBytes(StandardCharsets.UTF_8));
    }

    void json(Map<String, ?> fields) {
        line(Json.object(fields));
    }

    void bytes(byte[] bytes) {
        try {
            env.stdout().write(bytes);
            env.stdout().flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to stdout: " + e.getMessage(), e);
        }
    }
}
