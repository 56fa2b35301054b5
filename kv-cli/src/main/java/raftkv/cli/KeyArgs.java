package raftkv.cli;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import raftkv.proto.KvRules;

/** Keys and values as given on the command line, checked before anything is sent. */
final class KeyArgs {
    private KeyArgs() {}

    /**
     * The key's UTF-8 bytes, checked against kv.proto's rule (1 to 250 bytes, no control
     * character or space) so that a bad key is a usage error even when no server is up.
     */
    static ByteString key(String key) {
        ByteString bytes = ByteString.copyFromUtf8(key);
        String problem = KvRules.keyProblem(bytes);
        if (problem != null) throw new UsageException("the " + problem);
        return bytes;
    }

    /**
     * The value from the VALUE argument (its UTF-8 bytes) or from {@code --file} (a file's bytes,
     * or stdin's for "-"), exactly one of the two.
     */
    static ByteString value(String value, String file, CliEnv env, int maxBytes) {
        if (value != null && file != null) throw new UsageException("give the value either as VALUE or with --file, not both");
        if (value == null && file == null) throw new UsageException("missing the value: give VALUE or --file PATH (- for stdin)");
        if (value != null) return ByteString.copyFromUtf8(value);
        if (file.equals("-")) return readCapped(env.stdin(), "stdin", maxBytes);
        Path path = env.workingDir().resolve(file);
        try (InputStream in = Files.newInputStream(path)) {
            return readCapped(in, file, maxBytes);
        } catch (NoSuchFileException e) {
            throw new UsageException("--file " + file + ": no such file");
        } catch (IOException e) {
            throw new UsageException("--file " + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    static long ttl(long ttlSeconds) {
        String problem = KvRules.ttlProblem(ttlSeconds);
        if (problem != null) throw new UsageException("--" + problem);
        return ttlSeconds;
    }

    // A value larger than the largest message kvctl accepts could not be read back with it.
    private static ByteString readCapped(InputStream in, String name, int maxBytes) {
        try {
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new UsageException(name + " holds over " + maxBytes + " bytes, more than --max-message allows");
            }
            return ByteString.copyFrom(bytes);
        } catch (IOException e) {
            throw new UsageException("cannot read " + name + ": " + e.getMessage(), e);
        }
    }
}
