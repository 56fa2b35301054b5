package raftkv.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import raftkv.config.ClusterConfig;
import raftkv.wal.PrivateFiles;

/**
 * The cluster id a node uses on every peer message, kept in {@code <nodeDir>/cluster-id} from its
 * first start on (as etcd keeps its cluster id in its data). It is computed once, from the config's
 * initial membership (without the node itself when it joins with --join) or its clusterName, so that
 * adding nodes to config.json later, or restarting a joined node without --join, keeps the id.
 */
final class ClusterIdFile {
    private static final String NAME = "cluster-id";

    private ClusterIdFile() {}

    static long resolve(ClusterConfig config, int id, boolean join) throws IOException {
        Path file = config.nodeDir(id).resolve(NAME);
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            try {
                return Long.parseUnsignedLong(text, 16);
            } catch (NumberFormatException e) {
                throw new IOException(file + " does not hold a cluster id: '" + text + "'");
            }
        }
        long clusterId = join ? config.clusterIdWithout(id) : config.clusterId();
        Path tmp = file.resolveSibling(NAME + ".tmp");
        try (FileChannel ch = PrivateFiles.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING))) {
            ch.write(java.nio.ByteBuffer.wrap((Long.toHexString(clusterId) + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return clusterId;
    }
}
