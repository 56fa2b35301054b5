package raftkv.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.Set;
import raftkv.config.ClusterConfig;
import raftkv.wal.PrivateFiles;

/**
 * The cluster id a node uses on every peer message, kept in {@code <nodeDir>/cluster-id} from its
 * first start on (as etcd keeps its cluster id in its data), so that adding nodes to config.json
 * later, or restarting a joined node without --join, keeps the id. A new node computes it from the
 * config (its clusterName, or its initial servers); a node started with --join takes it from the
 * first leader that contacts it.
 */
final class ClusterIdFile {
    private static final String NAME = "cluster-id";

    private ClusterIdFile() {}

    /** The stored id, if the node has one. */
    static OptionalLong read(ClusterConfig config, int id) throws IOException {
        Path file = config.nodeDir(id).resolve(NAME);
        if (!Files.exists(file)) return OptionalLong.empty();
        String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        try {
            return OptionalLong.of(Long.parseUnsignedLong(text, 16));
        } catch (NumberFormatException e) {
            throw new IOException(file + " does not hold a cluster id: '" + text + "'");
        }
    }

    /** Stores {@code clusterId} durably (temporary file, fsync, rename). */
    static void write(ClusterConfig config, int id, long clusterId) {
        Path file = config.nodeDir(id).resolve(NAME);
        Path tmp = file.resolveSibling(NAME + ".tmp");
        try {
            try (FileChannel ch = PrivateFiles.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING))) {
                ch.write(ByteBuffer.wrap((Long.toHexString(clusterId) + "\n").getBytes(StandardCharsets.US_ASCII)));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the cluster id in " + file, e);
        }
    }
}
