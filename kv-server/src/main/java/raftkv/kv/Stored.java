package raftkv.kv;

import com.google.protobuf.ByteString;
import java.util.Objects;

/**
 * A live key's state, as a read sees it.
 *
 * @param value       the value; may be empty
 * @param version     the log index of the write that stored it; positive
 * @param expiresAtMs the deadline on the log's clock, in ms since the epoch; 0 means never
 */
public record Stored(ByteString value, long version, long expiresAtMs) {
    public Stored {
        Objects.requireNonNull(value, "value");
        if (version < 1) throw new IllegalArgumentException("version must be >= 1, got " + version);
        if (expiresAtMs < 0) throw new IllegalArgumentException("negative deadline " + expiresAtMs);
    }

    public boolean expires() {
        return expiresAtMs != 0;
    }
}
