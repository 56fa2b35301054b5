package raftkv.wal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import raftkv.raft.Entry;
import raftkv.raft.HardState;

/**
 * Replays the segments of a log directory, oldest first, into the hard state (the last record
 * wins) and the entries (each entry record deletes every entry at or after its index first; a
 * reset record deletes them all). Checks everything that ties the segments into one log:
 * consecutive sequence numbers, a header naming its own file, each segment starting where the
 * previous one ended, no index gap. A torn tail in the last segment is reported, not cut:
 * {@link Wal#open} cuts it. Whether the log fits the node's snapshot is for {@link Wal#open} too.
 */
final class WalRecovery {
    /**
     * A segment that recovery read completely. {@code maxIndex} bounds the entries it holds that
     * still count: its highest entry index, lowered by every later truncation or reset (the
     * entries those deleted count for nothing). Once a snapshot covers {@code maxIndex},
     * deleting it (and every older one) loses nothing.
     */
    record SegmentInfo(long seq, Path file, long maxIndex) {
        SegmentInfo atMost(long index) {
            return maxIndex <= index ? this : new SegmentInfo(seq, file, index);
        }
    }

    /**
     * The segment that new records go to. {@code validBytes} is where its whole records end;
     * {@code hasPreamble} is false if it lacks a whole header and hard state, and must be rewritten.
     */
    record LastSegment(long seq, Path file, long prevIndex, long prevTerm, long maxIndex, long validBytes, long fileBytes,
                       String tailProblem, boolean hasPreamble) {}

    /**
     * {@code last} is null if the directory holds no segment. {@code startFile} and
     * {@code startOffset} locate the record that set where {@code log} starts (a header, a reset,
     * or an entry below the start), for a message if that start does not fit the snapshot.
     */
    record Result(HardState hardState, EntryList log, List<SegmentInfo> closed, LastSegment last, Path startFile,
                  long startOffset) {
        List<Entry> entries() {
            return log.view();
        }
    }

    private WalRecovery() {}

    static Result replay(Path dir) throws IOException {
        List<Long> seqs = Segment.list(dir);
        HardState hardState = HardState.INITIAL;
        EntryList log = null;
        List<SegmentInfo> closed = new ArrayList<>();
        LastSegment lastSegment = null;
        Path startFile = dir;
        long startOffset = 0;
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
            if (log == null) {
                log = new EntryList(prevIndex, header.prevTerm());
                startFile = file;
            }
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
                    long index = er.entry().index();
                    long before = log.lastIndex();
                    boolean belowStart = index <= log.prevIndex();
                    if (!log.add(er.entry())) {
                        throw new WalCorruptException(file, p.offset(), "entry " + index + " leaves a gap after entry " + before);
                    }
                    if (index <= before) {
                        closed.replaceAll(c -> c.atMost(index - 1));
                        maxIndex = Math.min(maxIndex, index - 1);
                    }
                    maxIndex = Math.max(maxIndex, index);
                    if (belowStart) {
                        startFile = file;
                        startOffset = p.offset();
                    }
                } else if (p.record() instanceof WalRecord.ResetRecord reset) {
                    log.reset(reset.index(), reset.term());
                    closed.replaceAll(c -> c.atMost(reset.index()));
                    maxIndex = Math.min(maxIndex, reset.index());
                    startFile = file;
                    startOffset = p.offset();
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
        return new Result(hardState, log, closed, lastSegment, startFile, startOffset);
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
