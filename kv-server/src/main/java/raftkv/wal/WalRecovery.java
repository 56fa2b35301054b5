package raftkv.wal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import raftkv.raft.Entry;
import raftkv.raft.HardState;

/**
 * Replays the segments of a log directory, oldest first, into the hard state (the last record
 * wins) and the entries (each entry record deletes every entry at or after its index first).
 * Checks everything that ties the segments into one log: consecutive sequence numbers, a header
 * naming its own file, each segment starting where the previous one ended, no index gap. A torn
 * tail in the last segment is reported, not cut: {@link Wal#open} cuts it.
 */
final class WalRecovery {
    /** A segment that recovery read completely; {@code maxIndex} is its highest entry index. */
    record SegmentInfo(long seq, Path file, long maxIndex) {}

    /**
     * The segment that new records go to. {@code validBytes} is where its whole records end;
     * {@code hasPreamble} is false if it lacks a whole header and hard state, and must be rewritten.
     */
    record LastSegment(long seq, Path file, long prevIndex, long prevTerm, long maxIndex, long validBytes, long fileBytes,
                       String tailProblem, boolean hasPreamble) {}

    /** {@code last} is null if the directory holds no segment. */
    record Result(HardState hardState, List<Entry> entries, long lastIndex, long lastTerm, List<SegmentInfo> closed,
                  LastSegment last) {}

    private WalRecovery() {}

    static Result replay(Path dir) throws IOException {
        List<Long> seqs = Segment.list(dir);
        HardState hardState = HardState.INITIAL;
        EntryList log = null;
        List<SegmentInfo> closed = new ArrayList<>();
        LastSegment lastSegment = null;
        for (int k = 0; k < seqs.size(); k++) {
            long seq = seqs.get(k);
            Path file = dir.resolve(Segment.fileName(seq));
            boolean last = k == seqs.size() - 1;
            if (k > 0 && seq != seqs.get(k - 1) + 1) {
                throw new WalCorruptException(file, 0, "segment " + (seqs.get(k - 1) + 1) + " is missing");
            }
            Segment.Contents contents = Segment.read(file, last);
            List<Segment.Positioned> records = contents.records();
            WalRecord.SegmentHeader header = checkHeader(contents, seq, log);
            long prevIndex = header.prevIndex();
            if (log == null) log = new EntryList(prevIndex, header.prevTerm());
            boolean hasPreamble = records.size() >= 2;
            if (hasPreamble && !(records.get(1).record() instanceof WalRecord.HardStateRecord)) {
                throw new WalCorruptException(file, records.get(1).offset(), "second record of a segment is not its hard state");
            }
            if (!hasPreamble && !last) {
                throw new WalCorruptException(file, contents.validBytes(), "segment ends before its hard state record");
            }
            long maxIndex = prevIndex;
            for (Segment.Positioned p : records.subList(Math.min(1, records.size()), records.size())) {
                if (p.record() instanceof WalRecord.HardStateRecord h) {
                    hardState = h.hardState();
                } else if (p.record() instanceof WalRecord.EntryRecord er) {
                    long before = log.lastIndex();
                    if (!log.add(er.entry())) {
                        String problem = "entry " + er.entry().index() + " leaves a gap after entry " + before;
                        throw new WalCorruptException(file, p.offset(), problem);
                    }
                    maxIndex = Math.max(maxIndex, er.entry().index());
                } else {
                    throw new WalCorruptException(file, p.offset(), "segment header in the middle of a segment");
                }
            }
            if (last) {
                lastSegment = new LastSegment(seq, file, prevIndex, header.prevTerm(), maxIndex, contents.validBytes(),
                        contents.fileBytes(), contents.tailProblem(), hasPreamble);
            } else {
                closed.add(new SegmentInfo(seq, file, maxIndex));
            }
        }
        if (log == null) log = new EntryList(0, 0);
        return new Result(hardState, log.view(), log.lastIndex(), log.lastTerm(), closed, lastSegment);
    }

    /**
     * The segment's header, or for a torn one in the last segment what it would have said; throws
     * if the header does not fit where the segment is in the log.
     */
    private static WalRecord.SegmentHeader checkHeader(Segment.Contents contents, long seq, EntryList log) {
        Path file = contents.file();
        List<Segment.Positioned> records = contents.records();
        if (records.isEmpty()) {
            // A torn header, in the last segment (Segment.read throws for any other).
            if (log != null) return new WalRecord.SegmentHeader(seq, log.lastIndex(), log.lastTerm());
            if (seq == 1) return new WalRecord.SegmentHeader(seq, 0, 0);
            throw new WalCorruptException(file, 0, "the only segment has no whole header, so where the log starts is unknown");
        }
        if (!(records.get(0).record() instanceof WalRecord.SegmentHeader header)) {
            throw new WalCorruptException(file, 0, "segment does not start with a segment header");
        }
        if (header.seq() != seq) {
            throw new WalCorruptException(file, 0, "header names segment " + header.seq());
        }
        if (log != null && (header.prevIndex() != log.lastIndex() || header.prevTerm() != log.lastTerm())) {
            throw new WalCorruptException(file, 0, "segment continues after entry " + header.prevIndex() + " of term "
                    + header.prevTerm() + " but the segments before it end at entry " + log.lastIndex() + " of term " + log.lastTerm());
        }
        return header;
    }
}
