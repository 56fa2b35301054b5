package raftkv.gateway;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Incremental decoder of the text protocol (SPEC 4): bytes in, commands and errors out, in order.
 * Pure and single-threaded: one instance per connection, fed each chunk as it arrives; it keeps a
 * partial line or value between calls, so any split of the same bytes decodes to the same items.
 *
 * <p>Framing rules, and how the decoder stays in step after an error:
 *
 * <ul>
 *   <li>A line ends at {@code \n}; one {@code \r} right before it is dropped. A line whose content
 *       is over {@code maxLineBytes} is {@code ERR_CMD_ERR}, reported as soon as the limit is
 *       passed; the rest of it is discarded up to its {@code \n} without being buffered.
 *   <li>A set/cas value is exactly {@code numbytes} bytes and must be followed by exactly
 *       {@code \r\n} (a bare {@code \n} is not enough here: it would hide a numbytes one too big).
 *       If it is not, the value is rejected with {@code ERR_CMD_ERR} and the decoder resynchronises
 *       at a line boundary: it discards everything up to and including the next {@code \n},
 *       counting from the first byte where {@code \r\n} was expected. The line after that is read
 *       as a new command.
 *   <li>A set/cas header whose shape is right but which is otherwise malformed, or whose numbytes
 *       is over {@code maxValueBytes} ({@code ERR_TOO_LARGE}), has its error reported at once and
 *       exactly numbytes + 2 following bytes skipped without buffering them, so value bytes are
 *       never read as commands.
 * </ul>
 *
 * Memory held per decoder: one line ({@code maxLineBytes}) and at most one value being received,
 * grown as its bytes arrive, never beyond {@code maxValueBytes}.
 */
public final class TextDecoder {
    public static final int DEFAULT_MAX_LINE_BYTES = 2048;
    private static final int INITIAL_VALUE_CAPACITY = 64 * 1024;

    private enum State { LINE, SKIP_LINE, VALUE, VALUE_CR, VALUE_LF, SKIP_BYTES }

    private final int maxValueBytes;
    private final int maxLineBytes;
    // Holds the line's content plus a possible final '\r'.
    private final byte[] line;
    private int lineLength;
    private State state = State.LINE;
    // Set in states VALUE, VALUE_CR, VALUE_LF. Invariant: valueLength <= header.numbytes().
    private CommandLine.ValueHeader header;
    private byte[] value;
    private int valueLength;
    // In state SKIP_BYTES: bytes still to discard, > 0.
    private long skipRemaining;

    public TextDecoder(int maxValueBytes) {
        this(maxValueBytes, DEFAULT_MAX_LINE_BYTES);
    }

    public TextDecoder(int maxValueBytes, int maxLineBytes) {
        if (maxValueBytes < 0 || maxLineBytes < 1) {
            throw new IllegalArgumentException("maxValueBytes >= 0 and maxLineBytes >= 1 required");
        }
        this.maxValueBytes = maxValueBytes;
        this.maxLineBytes = maxLineBytes;
        this.line = new byte[maxLineBytes + 1];
    }

    /** Decodes the whole chunk. */
    public List<Decoded> feed(byte[] chunk) {
        return feed(ByteBuffer.wrap(chunk));
    }

    /** Decodes all remaining bytes of {@code chunk}, leaving it empty. */
    public List<Decoded> feed(ByteBuffer chunk) {
        return feed(chunk, Integer.MAX_VALUE);
    }

    /**
     * Decodes from {@code chunk}'s position until it is empty or {@code maxItems} items came out;
     * the position is left after the last byte consumed, so the caller can feed the rest later
     * (backpressure). The decoder keeps no reference to {@code chunk}.
     */
    public List<Decoded> feed(ByteBuffer chunk, int maxItems) {
        List<Decoded> out = new ArrayList<>();
        while (chunk.hasRemaining() && out.size() < maxItems) {
            switch (state) {
                case LINE -> readLine(chunk, out);
                case SKIP_LINE -> skipLine(chunk);
                case VALUE -> readValue(chunk);
                case VALUE_CR, VALUE_LF -> readTrailer(chunk, out);
                case SKIP_BYTES -> skipBytes(chunk);
            }
        }
        return out;
    }

    /**
     * Bytes held for a value still arriving (its buffer's capacity; 0 between values). The line
     * buffer, allocated once, is not counted.
     */
    public int bufferedBytes() {
        return value == null ? 0 : value.length;
    }

    /** Drops the value being received; the decoder must not be fed again. */
    public void abandon() {
        header = null;
        value = null;
        valueLength = 0;
        state = State.SKIP_LINE;
    }

    /** True if no part of a command is pending: the next byte starts a new line. */
    public boolean atCommandBoundary() {
        return state == State.LINE && lineLength == 0;
    }

    private void readLine(ByteBuffer chunk, List<Decoded> out) {
        int limit = chunk.limit();
        for (int i = chunk.position(); i < limit; i++) {
            byte b = chunk.get(i);
            if (b == '\n') {
                chunk.position(i + 1);
                endOfLine(out);
                return;
            }
            if (lineLength == line.length) {
                // maxLineBytes + 1 bytes and no '\n' yet: too long even if the last one was '\r'.
                chunk.position(i);
                lineLength = 0;
                state = State.SKIP_LINE;
                out.add(DecodeError.cmdErr(false, "line longer than " + maxLineBytes + " bytes"));
                return;
            }
            line[lineLength++] = b;
        }
        chunk.position(limit);
    }

    private void endOfLine(List<Decoded> out) {
        int length = lineLength;
        lineLength = 0;
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        if (length > maxLineBytes) {
            out.add(DecodeError.cmdErr(false, "line longer than " + maxLineBytes + " bytes"));
            return;
        }
        CommandLine.Result result = CommandLine.parse(line, length, maxValueBytes);
        if (result instanceof CommandLine.Complete complete) {
            out.add(complete.command());
        } else if (result instanceof CommandLine.ValueHeader h) {
            header = h;
            value = new byte[Math.min(h.numbytes(), INITIAL_VALUE_CAPACITY)];
            valueLength = 0;
            state = h.numbytes() == 0 ? State.VALUE_CR : State.VALUE;
        } else if (result instanceof CommandLine.Rejected rejected) {
            out.add(rejected.error());
            if (rejected.skipBytes() > 0) {
                skipRemaining = rejected.skipBytes();
                state = State.SKIP_BYTES;
            }
        }
    }

    private void skipLine(ByteBuffer chunk) {
        int limit = chunk.limit();
        for (int i = chunk.position(); i < limit; i++) {
            if (chunk.get(i) == '\n') {
                chunk.position(i + 1);
                state = State.LINE;
                return;
            }
        }
        chunk.position(limit);
    }

    private void readValue(ByteBuffer chunk) {
        int wanted = header.numbytes() - valueLength;
        int n = Math.min(wanted, chunk.remaining());
        if (valueLength + n > value.length) {
            int grown = (int) Math.min(header.numbytes(), Math.max(valueLength + (long) n, value.length * 2L));
            value = Arrays.copyOf(value, grown);
        }
        chunk.get(value, valueLength, n);
        valueLength += n;
        if (valueLength == header.numbytes()) {
            state = State.VALUE_CR;
        }
    }

    private void readTrailer(ByteBuffer chunk, List<Decoded> out) {
        byte b = chunk.get();
        if (state == State.VALUE_CR && b == '\r') {
            state = State.VALUE_LF;
            return;
        }
        if (state == State.VALUE_LF && b == '\n') {
            out.add(command());
            state = State.LINE;
            return;
        }
        out.add(DecodeError.cmdErr(header.noreply(),
                "value of " + header.numbytes() + " bytes not followed by \\r\\n"));
        header = null;
        value = null;
        // Resynchronise at the next line boundary; this byte may already be it.
        state = b == '\n' ? State.LINE : State.SKIP_LINE;
    }

    private TextCommand command() {
        ByteString bytes = valueLength == value.length
                ? UnsafeByteOperations.unsafeWrap(value) // the array is handed over, never written again
                : ByteString.copyFrom(value, 0, valueLength);
        CommandLine.ValueHeader h = header;
        header = null;
        value = null;
        return h.cas()
                ? new TextCommand.Cas(h.key(), h.exptime(), h.version(), bytes, h.noreply())
                : new TextCommand.Set(h.key(), h.exptime(), bytes, h.noreply());
    }

    private void skipBytes(ByteBuffer chunk) {
        int n = (int) Math.min(chunk.remaining(), skipRemaining);
        chunk.position(chunk.position() + n);
        skipRemaining -= n;
        if (skipRemaining == 0) {
            state = State.LINE;
        }
    }
}
