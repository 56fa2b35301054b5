package raftkv.wal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * Appends frames to the end of one segment file through a write buffer. Nothing is durable until
 * {@link #flush()} then {@link #force()}. Not thread-safe: the node thread owns it.
 */
final class SegmentWriter implements Closeable {
    private static final int BUFFER_BYTES = 64 * 1024;

    private final long seq;
    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    // Bytes in the file plus bytes still in the buffer: where the next frame will start.
    private long size;
    // The highest entry index any record of this segment holds (its header's prevIndex if none),
    // lowered by later truncations: see WalRecovery.SegmentInfo.
    private long maxIndex;

    private SegmentWriter(long seq, Path file, FileChannel channel, long size, long maxIndex) {
        this.seq = seq;
        this.file = file;
        this.channel = channel;
        this.size = size;
        this.maxIndex = maxIndex;
    }

    /** Creates a new, empty segment file; fails if the file exists. */
    static SegmentWriter create(Path dir, long seq, long prevIndex) throws IOException {
        Path file = dir.resolve(Segment.fileName(seq));
        FileChannel ch = PrivateFiles.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
        return new SegmentWriter(seq, file, ch, 0, prevIndex);
    }

    /** Opens an existing segment to append after its first {@code validBytes}, cutting anything beyond. */
    static SegmentWriter reopen(Path file, long seq, long validBytes, long maxIndex) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
        try {
            if (ch.size() > validBytes) ch.truncate(validBytes);
            ch.position(validBytes);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new SegmentWriter(seq, file, ch, validBytes, maxIndex);
    }

    long seq() {
        return seq;
    }

    Path file() {
        return file;
    }

    long size() {
        return size;
    }

    long maxIndex() {
        return maxIndex;
    }

    /** A later truncation or reset deleted every entry of this segment above {@code index}. */
    void lowerMaxIndex(long index) {
        maxIndex = Math.min(maxIndex, index);
    }

    void write(ByteBuffer frame, long entryIndex) throws IOException {
        int n = frame.remaining();
        if (n > buffer.remaining()) flush();
        if (n > buffer.remaining()) {
            writeFully(frame); // larger than the whole buffer: straight to the file
        } else {
            buffer.put(frame);
        }
        size += n;
        maxIndex = Math.max(maxIndex, entryIndex);
    }

    /** Hands the buffered bytes to the operating system: they survive a process crash, not a power cut. */
    void flush() throws IOException {
        buffer.flip();
        writeFully(buffer);
        buffer.clear();
    }

    /** Makes every flushed byte durable. */
    void force() throws IOException {
        channel.force(false);
    }

    private void writeFully(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) channel.write(src);
    }

    /** Closes the file; call {@link #flush()} first to keep buffered bytes. */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
