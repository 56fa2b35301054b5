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
 *
 * <p>The file is written with zeros ahead of the records, {@link #ZEROS_AHEAD_BYTES} at a time (up
 * to the segment size), as etcd preallocates its WAL files: a record written over zeros already on
 * disk leaves the file's size and blocks as they are, so the fsync that follows has only the data
 * to write, not the file system's journal as well (on ext4 here, 135 against 190 µs an fsync, and
 * two context switches against three). Recovery reads zeros at the end of the last segment as the
 * end of its records ({@link Segment#read}); {@link #seal} cuts them off before the segment is
 * closed for good, so no other segment ever has any.
 */
final class SegmentWriter implements Closeable {
    private static final int BUFFER_BYTES = 64 * 1024;
    static final long ZEROS_AHEAD_BYTES = 1L << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(BUFFER_BYTES);

    private final long seq;
    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    // Bytes in the file plus bytes still in the buffer: where the next frame will start.
    private long size;
    // The highest entry index any record of this segment holds (its header's prevIndex if none),
    // lowered by later truncations: see WalRecovery.SegmentInfo.
    private long maxIndex;
    // The file's length: records up to the channel's position, zeros after it.
    private long fileEnd;
    // Zeros are written ahead of the records up to here, no further.
    private final long zerosUpTo;

    private SegmentWriter(long seq, Path file, FileChannel channel, long size, long maxIndex, long zerosUpTo) {
        this.seq = seq;
        this.file = file;
        this.channel = channel;
        this.size = size;
        this.maxIndex = maxIndex;
        this.fileEnd = size;
        this.zerosUpTo = zerosUpTo;
    }

    /**
     * Creates a new, empty segment file; fails if the file exists. Zeros are written ahead of the
     * records up to {@code segmentBytes}.
     */
    static SegmentWriter create(Path dir, long seq, long prevIndex, long segmentBytes) throws IOException {
        Path file = dir.resolve(Segment.fileName(seq));
        FileChannel ch = PrivateFiles.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
        return new SegmentWriter(seq, file, ch, 0, prevIndex, segmentBytes);
    }

    /**
     * Opens an existing segment to append after its first {@code validBytes}. The bytes after
     * them up to {@code keepBytes} are zeros written ahead, kept for the records to come; anything
     * beyond (a torn tail) is cut.
     */
    static SegmentWriter reopen(Path file, long seq, long validBytes, long keepBytes, long maxIndex, long segmentBytes)
            throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
        long fileEnd;
        try {
            if (ch.size() > keepBytes) ch.truncate(keepBytes);
            fileEnd = ch.size();
            ch.position(validBytes);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        SegmentWriter w = new SegmentWriter(seq, file, ch, validBytes, maxIndex, segmentBytes);
        w.fileEnd = Math.max(validBytes, fileEnd);
        return w;
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

    /**
     * Flushes, then cuts the zeros written ahead, so that the file ends where its records do: for
     * a segment about to be closed for good. {@link #force()} makes the cut durable with the records.
     */
    void seal() throws IOException {
        flush();
        if (fileEnd > size) {
            channel.truncate(size);
            fileEnd = size;
        }
    }

    /** Makes every flushed byte durable. */
    void force() throws IOException {
        channel.force(false);
    }

    private void writeFully(ByteBuffer src) throws IOException {
        long end = channel.position() + src.remaining();
        if (end > fileEnd) writeZerosAhead(end);
        while (src.hasRemaining()) channel.write(src);
    }

    /**
     * Records are about to end at {@code end}, past the zeros written so far: writes zeros after
     * {@code end}, up to {@link #ZEROS_AHEAD_BYTES} more and no further than the segment size.
     * They go to disk with the records' next fsync.
     */
    private void writeZerosAhead(long end) throws IOException {
        long to = Math.min(end + ZEROS_AHEAD_BYTES, zerosUpTo);
        for (long at = end; at < to; ) {
            ByteBuffer zeros = ZEROS.duplicate().limit((int) Math.min(BUFFER_BYTES, to - at));
            while (zeros.hasRemaining()) at += channel.write(zeros, at);
        }
        fileEnd = Math.max(end, to);
    }

    /** Closes the file; call {@link #flush()} first to keep buffered bytes. */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
