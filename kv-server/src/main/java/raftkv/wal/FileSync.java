package raftkv.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The fsyncs that make a file's contents, or a file's creation, rename or deletion, durable. */
public final class FileSync {
    private FileSync() {}

    /** Makes the creations, renames and deletions of files in {@code dir} durable. */
    public static void directory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Makes every byte written to {@code file} durable, and its size. */
    static void file(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }
}
