package raftkv.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import raftkv.config.ClusterConfig;
import raftkv.kv.KvStateMachine;
import raftkv.node.SnapshotKeeper;
import raftkv.raft.HardState;
import raftkv.raft.RaftCore;
import raftkv.raft.SnapshotMeta;
import raftkv.wal.FileSync;
import raftkv.wal.PrivateFiles;
import raftkv.wal.SnapshotFiles;
import raftkv.wal.Wal;

/**
 * {@code kv-server restore}: builds node N's data folder for a NEW cluster from a snapshot file
 * (kvctl snapshot save), as etcdutl snapshot restore does. Every node of the new config restores
 * the same file, so every node starts from the same state, and the cluster elects a leader and
 * goes on from the snapshot's index: versions (log indexes) keep increasing from there.
 *
 * <p>The folder it builds is the one a node has after installing its leader's snapshot: the
 * snapshot, under {@code snapshots/}, and a write-ahead log that restarts after it, whose hard
 * state holds the snapshot's term and no vote. Keys keep their values, versions and expiry
 * deadlines (on the leaders' clocks, as they were), and the exactly-once sessions come along.
 * It is built in a temporary folder beside the target and renamed into place at the end, so a
 * failed restore leaves no half-built folder behind; it refuses a target folder that holds anything.
 */
final class Restore {
    /** What was restored, for the line printed on success. */
    record Done(Path dir, SnapshotMeta snapshot, int keys) {}

    /** A refusal or failure with its one line for the user and the exit code. */
    static final class Failed extends Exception {
        final int exitCode;

        Failed(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    private Restore() {}

    static Done run(ClusterConfig config, int id, Path snapshotFile) throws Failed {
        Path dir = config.nodeDir(id).toAbsolutePath().normalize();
        refuseNonEmpty(dir);
        KvStateMachine machine;
        try {
            machine = SnapshotKeeper.readBackup(snapshotFile);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new Failed(ServerMain.EXIT_USAGE, "cannot restore from " + snapshotFile + ": no such file");
        } catch (IOException e) {
            throw new Failed(ServerMain.EXIT_USAGE, "cannot restore from " + snapshotFile + ": " + e.getMessage());
        }
        if (machine.appliedIndex() == 0) {
            throw new Failed(ServerMain.EXIT_USAGE, "cannot restore from " + snapshotFile + ": it holds no applied entry");
        }
        SnapshotMeta meta = new SnapshotMeta(machine.appliedIndex(), machine.appliedTerm());
        Path staging = null;
        try {
            Path parent = dir.getParent();
            PrivateFiles.createDirectories(parent);
            staging = Files.createTempDirectory(parent, dir.getFileName() + ".restoring-"); // 0700 on POSIX
            build(staging, config, machine, meta);
            FileSync.directory(staging);
            // An empty target folder (made by hand, say) gives way; rename then replaces nothing.
            Files.deleteIfExists(dir);
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            staging = null;
            FileSync.directory(parent);
        } catch (DirectoryNotEmptyException e) {
            throw new Failed(ServerMain.EXIT_USAGE, notEmpty(dir));
        } catch (IOException | UncheckedIOException e) {
            throw new Failed(ServerMain.EXIT_CORRUPT_LOG, "cannot build data folder " + dir + ": " + ServerMain.causes(e));
        } finally {
            if (staging != null) deleteQuietly(staging);
        }
        return new Done(dir, meta, machine.size());
    }

    /** The snapshot, then a log that restarts after it, as a node that installed it from its leader has. */
    private static void build(Path staging, ClusterConfig config, KvStateMachine machine, SnapshotMeta meta)
            throws IOException {
        SnapshotFiles files = SnapshotFiles.open(staging.resolve("snapshots"), true);
        writeSnapshot(files, machine, meta, config);
        try (Wal wal = Wal.open(staging.resolve("wal"), true, config.walSegmentBytes(), SnapshotMeta.NONE)) {
            // The snapshot's term, so that the new cluster's first election is for a later term and
            // no node can take an entry at or below the snapshot for anything but what it holds.
            wal.saveHardState(new HardState(meta.term(), RaftCore.NONE));
            wal.installSnapshot(meta);
        }
    }

    /**
     * The one place that decides what the new cluster's snapshot holds: the old cluster's data and
     * sessions, but not its membership (the last membership change it applied names the old
     * cluster's nodes and addresses). Without one, every node of the new cluster takes its initial
     * membership from {@code config}'s servers, as a brand-new cluster does.
     */
    private static void writeSnapshot(SnapshotFiles files, KvStateMachine machine, SnapshotMeta meta,
                                      ClusterConfig config) throws IOException {
        machine.forgetMembership();
        files.write(meta, machine.snapshotView()::writeTo);
    }

    private static void refuseNonEmpty(Path dir) throws Failed {
        if (!Files.exists(dir)) return;
        if (!Files.isDirectory(dir)) throw new Failed(ServerMain.EXIT_USAGE, dir + " exists and is not a folder");
        try (Stream<Path> entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) throw new Failed(ServerMain.EXIT_USAGE, notEmpty(dir));
        } catch (IOException e) {
            throw new Failed(ServerMain.EXIT_USAGE, "cannot read data folder " + dir + ": " + e.getMessage());
        }
    }

    private static String notEmpty(Path dir) {
        return "data folder " + dir + " is not empty: restore builds the folder of a node of a new cluster; "
                + "move it away or give a config with another path";
    }

    private static void deleteQuietly(Path tree) {
        try (Stream<Path> paths = Files.walk(tree)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort: a leftover ".restoring-" folder holds nothing a node reads
        }
    }
}
