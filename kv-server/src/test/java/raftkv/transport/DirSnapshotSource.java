package raftkv.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import raftkv.raft.SnapshotMeta;

/** Snapshots in a folder, for tests: the test sets the newest; files being received go to incoming/. */
final class DirSnapshotSource implements SnapshotSource {
    private final Path dir;
    final Path incoming;
    volatile Local newest;

    DirSnapshotSource(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.incoming = Files.createDirectories(dir.resolve("incoming"));
    }

    @Override
    public Optional<Local> newest() {
        return Optional.ofNullable(newest);
    }

    @Override
    public Path newIncomingFile() throws IOException {
        return Files.createTempFile(incoming, "snapshot-", ".part");
    }

    /** Writes {@code size} random bytes as the snapshot {@code meta} and makes it the newest. */
    Path write(SnapshotMeta meta, int size, long seed) throws IOException {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        Path file = Files.write(dir.resolve("snapshot-" + meta.index() + "-" + meta.term()), data);
        newest = new Local(meta, file);
        return file;
    }

    /** The files in incoming/, sorted. */
    List<Path> incomingFiles() throws IOException {
        try (var files = Files.list(incoming)) {
            return files.sorted().toList();
        }
    }
}
