package raftkv.wal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One segment file, {@code <20-digit sequence number>.wal}: a segment header, the hard state
 * at the time the segment was created (so that deleting older segments never loses the term and
 * vote), then hard state and entry records in the order they were written.
 */
final class Segment {
    private static final Pattern NAME = Pattern.compile("(\\d{20})\\.wal");

    /** A record and the byte offset where its frame starts. */
    record Positioned(long offset, WalRecord record) {}

    /**
     * The whole records of a segment, in order. {@code validBytes} is where they end; if it is
     * less than {@code fileBytes}, the rest (only ever in the last segment) is either a torn tail,
     * which {@code tailProblem} describes, or zeros written ahead of the records
     * ({@link SegmentWriter}), and {@code tailProblem} is null.
     */
    record Contents(Path file, List<Positioned> records, long validBytes, long fileBytes, String tailProblem) {
        boolean torn() {
            return tailProblem != null;
        }
    }

    private Segment() {}

    static String fileName(long seq) {
        return String.format("%020d.wal", seq);
    }

    /** The sequence numbers of the segment files in {@code dir}, ascending; other files are ignored. */
    static List<Long> list(Path dir) throws IOException {
        List<Long> seqs = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (m.matches() && Files.isRegularFile(f)) seqs.add(Long.parseLong(m.group(1)));
            }
        }
        seqs.sort(null);
        return seqs;
    }

    /**
     * Reads every whole record of {@code file}. A damaged or incomplete record is a torn tail, and
     * ends the contents, only if this is the last segment and no valid record follows it anywhere
     * in the file; otherwise this throws {@link WalCorruptException}. So is a record whose checksum
     * matches but whose content is wrong: no torn write produces one. Zeros from some offset to the
     * end of the last segment are the space its writer prepared (no record has a length of 0): the
     * records end there, and nothing is torn.
     */
    static Contents read(Path file, boolean last) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        List<Positioned> records = new ArrayList<>();
        int off = 0;
        while (off < bytes.length) {
            RecordCodec.Frame frame = RecordCodec.decode(bytes, off, bytes.length);
            switch (frame.kind()) {
                case OK -> {
                    records.add(new Positioned(off, frame.record()));
                    off = frame.end();
                }
                case MALFORMED -> throw new WalCorruptException(file, off, frame.problem());
                case INCOMPLETE, DAMAGED -> {
                    if (last && allZero(bytes, off)) return new Contents(file, records, off, bytes.length, null);
                    if (!last) throw new WalCorruptException(file, off, frame.problem() + " in a segment that is not the last");
                    int next = findValidRecord(bytes, off + 1);
                    if (next >= 0) {
                        throw new WalCorruptException(file, off, frame.problem() + ", yet a valid record follows at byte offset " + next);
                    }
                    return new Contents(file, records, off, bytes.length, frame.problem());
                }
            }
        }
        return new Contents(file, records, off, bytes.length, null);
    }

    /**
     * The first offset at or after {@code from} where a whole, well-formed record starts, or -1.
     * Torn bytes are never followed by one; damage in the middle of the log is. (A record framed
     * inside the data of a torn entry would also count: the log is then refused, never cut.)
     */
    private static int findValidRecord(byte[] bytes, int from) {
        for (int off = from; off <= bytes.length - RecordCodec.FRAME_HEADER_BYTES - 1; off++) {
            if (bytes[off] == 0 && allZero(bytes, off, Math.min(bytes.length, off + 4))) continue; // a length of 0: no record
            if (RecordCodec.decode(bytes, off, bytes.length).kind() == RecordCodec.Kind.OK) return off;
        }
        return -1;
    }

    private static boolean allZero(byte[] bytes, int from) {
        return allZero(bytes, from, bytes.length);
    }

    private static boolean allZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) if (bytes[i] != 0) return false;
        return true;
    }
}
