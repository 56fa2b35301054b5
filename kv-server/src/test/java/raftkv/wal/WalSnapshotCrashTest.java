package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.wal.WalFixtures.entries;
import static raftkv.wal.WalFixtures.entry;
import static raftkv.wal.WalFixtures.hs;
import static raftkv.wal.WalFixtures.segmentFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.raft.Entry;
import raftkv.raft.HardState;
import raftkv.raft.SnapshotMeta;

/**
 * A crash at every step of restarting the log after a snapshot, in {@link Wal#installSnapshot}
 * and in {@link Wal#open}: the log is stopped after each file operation (the write buffer is
 * lost, as in a crash) and reopened with the snapshot. It must recover either the old state or
 * the restarted one, never lose the hard state, and go on working: appends, compaction, another
 * install.
 */
class WalSnapshotCrashTest {
    private static final long CAP = 300;
    private static final Set<String> EVERY_STEP =
            Set.of("reset written", "reset durable", "segment created", "segment started", "segment deleted", "directory durable");

    @TempDir
    Path tmp;

    /** Stops at the {@code n}-th step reached, as a crash right after that file operation would. */
    private static final class CrashAt implements Wal.Steps {
        private final int n;
        final List<String> reached = new ArrayList<>();
        Path dir;

        CrashAt(int n) {
            this.n = n;
        }

        @Override
        public void reached(String step) throws IOException {
            reached.add(step);
            if (reached.size() == n) throw new IOException("simulated crash after " + step);
        }

        String step() {
            return reached.get(reached.size() - 1);
        }

        /**
         * Whether the writes before the reset reached the file: only a crash right after the reset
         * record was buffered loses them; a segment too full for it was flushed to make room.
         */
        boolean earlierWritesDurable() {
            return !reached.equals(List.of("reset written"));
        }

        boolean resetDurable() {
            return reached.contains("reset durable");
        }
    }

    /**
     * What a reopen must recover, given the old log's last entry and what the crash left durable:
     * the hard state written just before the install, and the reset.
     */
    @FunctionalInterface
    private interface Expected {
        RaftStorage.Recovered given(long lastEntry, boolean hardStateDurable, boolean resetDurable);
    }

    /** Hard state 3/1 and entries 1..{@code last} of term 3 over several segments, all durable. */
    private Path oldLog(String name, long last) throws IOException {
        Path dir = tmp.resolve(name);
        try (Wal wal = Wal.open(dir, false, CAP)) {
            wal.saveHardState(hs(3, 1));
            wal.append(entries(1, last, 3, 8));
        }
        assertTrue(segmentFiles(dir).size() >= 4);
        return dir;
    }

    @Test
    void installSnapshotPastTheLogRecoversAfterACrashAtEveryStep() throws IOException {
        SnapshotMeta snap = new SnapshotMeta(60, 4);
        crashInstallEverywhere(snap, (last, hardStateDurable, resetDurable) ->
                new RaftStorage.Recovered(hardStateDurable ? hs(4, 2) : hs(3, 1), snap, List.of()));
    }

    @Test
    void installSnapshotOverAnotherTermRecoversAfterACrashAtEveryStep() throws IOException {
        SnapshotMeta snap = new SnapshotMeta(30, 4); // the log has entry 30 of term 3
        crashInstallEverywhere(snap, (last, hardStateDurable, resetDurable) ->
                new RaftStorage.Recovered(hardStateDurable ? hs(4, 2) : hs(3, 1), snap, List.of()));
    }

    @Test
    void installSnapshotTheLogHoldsRecoversTheOldOrTheNewStateAfterACrashAtEveryStep() throws IOException {
        // Before the reset is durable the old log still fits the snapshot: its entries after it stay.
        SnapshotMeta snap = new SnapshotMeta(30, 3);
        crashInstallEverywhere(snap, (last, hardStateDurable, resetDurable) -> new RaftStorage.Recovered(
                hardStateDurable ? hs(4, 2) : hs(3, 1), snap, resetDurable ? List.of() : entries(31, last, 3, 8)));
    }

    /**
     * For old logs of several lengths (so that the reset record sometimes needs a new segment
     * first, sometimes not), and n = 1, 2, ...: the old log, a hard state written but not synced,
     * then installSnapshot stopped at its n-th step; a reopen with the snapshot must recover what
     * {@code expected} says.
     */
    private void crashInstallEverywhere(SnapshotMeta snap, Expected expected) throws IOException {
        Set<String> crashedAt = new HashSet<>();
        boolean lostTheHardState = false;
        for (long last = 36; last <= 40; last++) {
            for (int n = 1; ; n++) {
                CrashAt crash = crashInstall(oldLog("install-" + last + "-" + n, last), snap, n);
                if (crash == null) break;
                crashedAt.add(crash.step());
                lostTheHardState |= !crash.earlierWritesDurable();
                RaftStorage.Recovered want = expected.given(last, crash.earlierWritesDurable(), crash.resetDurable());
                assertRecoversAndWorks(crash.dir, snap, want, "log to " + last + ", crash after " + crash.reached);
            }
        }
        assertEquals(EVERY_STEP, crashedAt);
        assertTrue(lostTheHardState, "no run crashed before anything reached the file");
    }

    /** Writes a hard state, then installs {@code snap} stopping at step n; null if there was no step n. */
    private static CrashAt crashInstall(Path dir, SnapshotMeta snap, int n) {
        CrashAt crash = new CrashAt(n);
        crash.dir = dir;
        Wal wal = Wal.open(dir, false, CAP, SnapshotMeta.NONE, crash);
        wal.saveHardState(hs(4, 2));
        try {
            wal.installSnapshot(snap);
            return null;
        } catch (UncheckedIOException e) {
            assertTrue(e.getCause().getMessage().startsWith("simulated crash"), e.toString());
            assertThrows(IllegalStateException.class, wal::sync, "a failed log refuses everything");
            return crash;
        } finally {
            wal.close();
        }
    }

    @Test
    void openWithASnapshotTheLogDoesNotHoldRecoversAfterACrashAtEveryStepOfItsRestart() throws IOException {
        SnapshotMeta snap = new SnapshotMeta(60, 4);
        RaftStorage.Recovered want = new RaftStorage.Recovered(hs(3, 1), snap, List.of());
        Set<String> crashedAt = new HashSet<>();
        for (int n = 1; ; n++) {
            Path dir = oldLog("open-" + n, 40);
            CrashAt crash = new CrashAt(n);
            Wal wal;
            try {
                wal = Wal.open(dir, false, CAP, snap, crash);
            } catch (UncheckedIOException e) {
                assertTrue(e.getCause().getMessage().startsWith("simulated crash"), e.toString());
                crashedAt.add(crash.step());
                // The failed open released the directory.
                assertRecoversAndWorks(dir, snap, want, "crash after " + crash.reached);
                continue;
            }
            assertEquals(want, wal.recovered());
            wal.close();
            break;
        }
        assertEquals(EVERY_STEP, crashedAt);
    }

    /**
     * Reopens {@code dir} with {@code snap} and expects {@code want}; then appends, compacts to
     * the snapshot (which must free whatever the crash left behind), installs a newer snapshot,
     * and checks each survives a reopen.
     */
    private static void assertRecoversAndWorks(Path dir, SnapshotMeta snap, RaftStorage.Recovered want, String what)
            throws IOException {
        List<Entry> entries = new ArrayList<>(want.entries());
        long next = snap.index() + entries.size() + 1;
        try (Wal wal = Wal.open(dir, false, CAP, snap)) {
            assertEquals(want, wal.recovered(), what);
            wal.append(List.of(entry(next, 5)));
            wal.compact(snap.index());
        }
        entries.add(entry(next, 5));
        if (want.entries().isEmpty()) {
            assertEquals(1, segmentFiles(dir).size(), what + ": compaction freed every segment the restart left behind");
        }
        HardState hardState = want.hardState();
        try (Wal wal = Wal.open(dir, false, CAP, snap)) {
            assertEquals(new RaftStorage.Recovered(hardState, snap, entries), wal.recovered(), what);
            wal.installSnapshot(new SnapshotMeta(100, 6));
        }
        assertEquals(1, segmentFiles(dir).size(), what);
        try (Wal wal = Wal.open(dir, false, CAP, new SnapshotMeta(100, 6))) {
            assertEquals(new RaftStorage.Recovered(hardState, new SnapshotMeta(100, 6), List.of()), wal.recovered(), what);
        }
    }

    @Test
    void withFsyncTheResetIsForcedAndTheLogRecovers() throws IOException {
        Path dir = oldLog("fsync", 40);
        SnapshotMeta snap = new SnapshotMeta(50, 4);
        try (Wal wal = Wal.open(dir, true, CAP)) {
            long before = wal.fsyncCount();
            wal.saveHardState(hs(4, 4));
            wal.installSnapshot(snap);
            long after = wal.fsyncCount();
            // At least the reset record with every earlier write, then the new segment's preamble.
            assertTrue(after >= before + 2, before + " -> " + after);
            wal.sync();
            assertEquals(after, wal.fsyncCount(), "nothing left to sync");
        }
        try (Wal wal = Wal.open(dir, true, CAP, snap)) {
            assertEquals(new RaftStorage.Recovered(hs(4, 4), snap, List.of()), wal.recovered());
        }
    }
}
