package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.raft.Entry;
import raftkv.raft.EntryType;
import raftkv.raft.HardState;

/**
 * The same seeded random calls (appends that truncate, hard states, syncs, restarts) against
 * the file log, with tiny segments, and its in-memory twin: every restart recovers the same.
 * A failure names the seed and step that replay it.
 */
class WalMatchesMemoryStorageTest {
    private static final int SEEDS = 30;
    private static final int STEPS = 300;

    @TempDir
    Path tmp;

    @Test
    void randomCallSequencesRecoverTheSameFromBoth() {
        for (long seed = 1; seed <= SEEDS; seed++) run(seed);
    }

    private void run(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Path dir = tmp.resolve("seed-" + seed);
        long cap = 64 + rnd.nextInt(2048);
        Wal wal = Wal.open(dir, false, cap);
        MemoryStorage mem = new MemoryStorage();
        long term = 1;
        long lastIndex = 0;
        for (int step = 0; step < STEPS; step++) {
            int op = rnd.nextInt(100);
            if (op < 50) {
                long from = Math.max(1, lastIndex + 1 - rnd.nextInt(4));
                if (from <= lastIndex) term++;
                List<Entry> batch = new ArrayList<>();
                for (int i = 0, n = 1 + rnd.nextInt(4); i < n; i++) batch.add(randomEntry(rnd, from + i, term));
                wal.append(batch);
                mem.append(batch);
                lastIndex = from + batch.size() - 1;
            } else if (op < 65) {
                term += rnd.nextInt(2);
                HardState hs = new HardState(term, rnd.nextInt(4) - 1);
                wal.saveHardState(hs);
                mem.saveHardState(hs);
            } else if (op < 90) {
                wal.sync();
                mem.sync();
            } else {
                wal.close();
                mem.close();
                wal = Wal.open(dir, false, cap);
                mem = mem.restart();
                assertEquals(mem.recovered(), wal.recovered(), "seed " + seed + " step " + step);
            }
        }
        wal.close();
        mem.close();
        try (Wal reopened = Wal.open(dir, false, cap)) {
            assertEquals(mem.restart().recovered(), reopened.recovered(), "seed " + seed + " at the end");
        }
    }

    private static Entry randomEntry(SplittableRandom rnd, long index, long term) {
        if (rnd.nextInt(10) == 0) return Entry.noop(index, term);
        byte[] data = new byte[rnd.nextInt(80)];
        rnd.nextBytes(data);
        return new Entry(index, term, EntryType.NORMAL, ByteString.copyFrom(data));
    }
}
