package raftkv.wal;

import java.nio.file.Path;

/**
 * The log on disk is damaged somewhere other than its torn tail: a checksum failure followed by
 * valid records, a bad record in a segment that is not the last, a gap in the entry indexes or
 * the segment sequence, a log that starts after the node's snapshot. The node must not start on such a log: cutting it could lose entries that
 * were acknowledged. The message is one line naming the file and the byte offset.
 */
public final class WalCorruptException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Path file;
    private final long offset;

    public WalCorruptException(Path file, long offset, String problem) {
        super("corrupt write-ahead log: " + file + " at byte offset " + offset + ": " + problem);
        this.file = file;
        this.offset = offset;
    }

    /** For {@link MemoryStorage}, which has no files: {@link #file()} is null and {@link #offset()} -1. */
    WalCorruptException(String problem) {
        super("corrupt write-ahead log: " + problem);
        this.file = null;
        this.offset = -1;
    }

    /** The segment file where the damage was found. */
    public Path file() {
        return file;
    }

    /** The byte offset in {@link #file()} of the first damaged record. */
    public long offset() {
        return offset;
    }
}
