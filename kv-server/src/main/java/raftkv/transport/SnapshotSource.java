package raftkv.transport;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import raftkv.raft.SnapshotMeta;

/**
 * What the node lends the transport for InstallSnapshot: the snapshot files it holds, to send, and
 * fresh files to receive into. Called on transport threads, never on the node's.
 */
public interface SnapshotSource {
    /** A complete snapshot file: the state machine after applying every entry up to {@code meta.index()}. */
    record Local(SnapshotMeta meta, Path file) {}

    /** The newest complete snapshot this node holds, or empty. */
    Optional<Local> newest();

    /** A new empty temporary file for a snapshot being received (the node deletes leftovers at start). */
    Path newIncomingFile() throws IOException;

    /**
     * A node without snapshots: it has none to send, and refuses to receive one (every incoming
     * stream fails with INTERNAL). What the short {@link GrpcTransport} constructors use.
     */
    static SnapshotSource none() {
        return new SnapshotSource() {
            @Override
            public Optional<Local> newest() {
                return Optional.empty();
            }

            @Override
            public Path newIncomingFile() throws IOException {
                throw new IOException("this node has no place for snapshots");
            }
        };
    }
}
