package raftkv.kv;

import java.io.IOException;

/** A snapshot stream that fails its checksum, ends early, or breaks the format's rules. */
public final class CorruptSnapshotException extends IOException {
    private static final long serialVersionUID = 1L;

    public CorruptSnapshotException(String message) {
        super(message);
    }

    public CorruptSnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
