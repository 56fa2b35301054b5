package raftkv.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates a node's folders 0700 and its files 0600 whatever the process's umask, as etcd does
 * (SPEC section 8): the log and snapshots hold every value. On a file system without POSIX
 * permissions, plain creation. Only new folders and files get these modes; the node warns at
 * start about older ones that are looser (see raftkv.security.SecurityChecks).
 */
public final class PrivateFiles {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final FileAttribute<?> FOLDER = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<?> FILE = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private PrivateFiles() {}

    /** {@link Files#createDirectories}, each folder it creates 0700. */
    public static Path createDirectories(Path dir) throws IOException {
        return POSIX ? Files.createDirectories(dir, FOLDER) : Files.createDirectories(dir);
    }

    /** {@link FileChannel#open}; a file it creates is 0600. */
    public static FileChannel open(Path file, Set<? extends OpenOption> options) throws IOException {
        return POSIX ? FileChannel.open(file, options, FILE) : FileChannel.open(file, options);
    }
}
