package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.raft.Entry;
import raftkv.raft.EntryType;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;

/**
 * The same seeded random calls (appends that truncate, hard states, syncs, snapshots with cuts
 * and compaction, installed snapshots, restarts with the newest snapshot, including one the log
 * does not hold yet) against the file log, with tiny segments, and its in-memory twin: every
 * restart recovers the same. A failure names the seed and step that replay it.
 */
class WalMatchesMemoryStorageTest {
    private static final int SEEDS = 30;
    private static final int STEPS = 300;

    @TempDir
    Path tmp;
    // Restarts with a snapshot that recovered entries after it, from a log that was compacted or reset.
    private int restartsPastASnapshot;
    private int compactions;
    private int installs;

    @Test
    void randomCallSequencesRecoverTheSameFromBoth() {
        for (long seed = 1; seed <= SEEDS; seed++) run(seed);
        assertTrue(restartsPastASnapshot > SEEDS && compactions > SEEDS && installs > SEEDS,
                restartsPastASnapshot + " restarts past a snapshot, " + compactions + " compactions, " + installs + " installs");
    }

    private void run(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Path dir = tmp.resolve("seed-" + seed);
        long cap = 64 + rnd.nextInt(2048);
        Wal wal = Wal.open(dir, false, cap);
        MemoryStorage mem = new MemoryStorage();
        long term = 1;
        long lastIndex = 0;
        // The node's newest snapshot; every entry up to it is committed, never written again.
        SnapshotMeta snapshot = SnapshotMeta.NONE;
        // The term of each entry written after the snapshot.
        TreeMap<Long, Long> terms = new TreeMap<>();
        for (int step = 0; step < STEPS; step++) {
            String at = "seed " + seed + " step " + step;
            int op = rnd.nextInt(100);
            if (op < 45) {
                long from = Math.max(snapshot.index() + 1, lastIndex + 1 - rnd.nextInt(4));
                if (from <= lastIndex) term++;
                List<Entry> batch = new ArrayList<>();
                for (int i = 0, n = 1 + rnd.nextInt(4); i < n; i++) batch.add(randomEntry(rnd, from + i, term));
                wal.append(batch);
                mem.append(batch);
                terms.tailMap(from).clear();
                for (Entry e : batch) terms.put(e.index(), e.term());
                lastIndex = from + batch.size() - 1;
            } else if (op < 58) {
                term += rnd.nextInt(2);
                HardState hs = new HardState(term, rnd.nextInt(4) - 1);
                wal.saveHardState(hs);
                mem.saveHardState(hs);
            } else if (op < 78) {
                wal.sync();
                mem.sync();
            } else if (op < 85) {
                // The node snapshots entries it applied (durable), maybe cuts, then compacts.
                if (lastIndex == snapshot.index()) continue;
                wal.sync();
                mem.sync();
                long index = snapshot.index() + 1 + rnd.nextInt((int) (lastIndex - snapshot.index()));
                snapshot = new SnapshotMeta(index, terms.get(index));
                if (rnd.nextBoolean()) {
                    wal.cut();
                    mem.cut();
                }
                wal.compact(index);
                mem.compact(index);
                compactions++;
                terms.headMap(index, true).clear();
            } else if (op < 92) {
                // A follower installs a leader's snapshot, or stores it and crashes before installing.
                long index = snapshot.index() + 1 + rnd.nextInt((int) (lastIndex - snapshot.index()) + 5);
                snapshot = new SnapshotMeta(index, ++term);
                installs++;
                if (rnd.nextBoolean()) {
                    wal.installSnapshot(snapshot);
                    mem.installSnapshot(snapshot);
                } else {
                    wal.close();
                    mem.close();
                    wal = Wal.open(dir, false, cap, snapshot);
                    mem = mem.restart(snapshot);
                    assertEquals(mem.recovered(), wal.recovered(), at);
                    assertEquals(List.of(), wal.recovered().entries(), at);
                }
                terms.clear();
                lastIndex = index;
            } else {
                wal.close();
                mem.close();
                wal = Wal.open(dir, false, cap, snapshot);
                mem = mem.restart(snapshot);
                assertEquals(mem.recovered(), wal.recovered(), at);
                if (snapshot.index() > 0 && !wal.recovered().entries().isEmpty()) restartsPastASnapshot++;
            }
        }
        wal.close();
        mem.close();
        try (Wal reopened = Wal.open(dir, false, cap, snapshot)) {
            assertEquals(mem.restart(snapshot).recovered(), reopened.recovered(), "seed " + seed + " at the end");
        }
    }

    private static Entry randomEntry(SplittableRandom rnd, long index, long term) {
        if (rnd.nextInt(10) == 0) return Entry.noop(index, term);
        byte[] data = new byte[rnd.nextInt(80)];
        rnd.nextBytes(data);
        return new Entry(index, term, EntryType.NORMAL, ByteString.copyFrom(data));
    }
}
