package raftkv.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import io.grpc.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import raftkv.proto.SnapshotCheck;

/**
 * {@code kvctl snapshot save FILE}: fetches a consistent snapshot from the leader (kv.proto
 * SaveSnapshot), checks it, and writes FILE atomically: into a temporary file beside it, forced
 * to disk, checked, then renamed over FILE and the folder forced. FILE is never left half written.
 */
@Command(name = "save", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Save a consistent snapshot of the whole store to FILE, for a backup.",
                "The leader takes it at a linearizable point: it holds every write acknowledged before the command "
                        + "began. Keys keep their values, versions and expiry deadlines.",
                "The checksum is verified before FILE is written; FILE appears whole (temporary file, fsync, rename) "
                        + "or not at all.",
                "Prints the snapshot's index, term, keys and size; with --output json: "
                        + "{\"file\", \"index\", \"term\", \"keys\", \"size\"}.",
                "--timeout defaults to 600 seconds here. Exits with 4 if no leader answers, 5 if the snapshot "
                        + "received is damaged (nothing is written then)."},
        footer = {"", "Example:", "  kvctl snapshot save backup.snap && kvctl snapshot status backup.snap"})
final class SnapshotSaveCommand implements Callable<Integer> {
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    @ParentCommand
    SnapshotCommand parent;

    @Spec
    CommandSpec spec;

    @Mixin
    EndpointOptions options;

    @Parameters(index = "0", paramLabel = "FILE", description = "Where to save the snapshot; replaced if it exists.")
    Path file;

    @Override
    public Integer call() {
        KvCtl kvctl = parent.kvctl;
        Path target = kvctl.env().workingDir().resolve(file).toAbsolutePath().normalize();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) throw new UsageException("cannot write " + file + ": no folder " + dir);
        if (Files.isDirectory(target)) throw new UsageException("cannot write " + file + ": it is a folder");
        boolean timeoutGiven = spec.commandLine().getParseResult().hasMatchedOption("--timeout");
        Duration timeout = timeoutGiven ? options.timeout() : DEFAULT_TIMEOUT;
        Path temporary;
        try {
            temporary = Files.createTempFile(dir, "." + target.getFileName() + ".", ".part");
        } catch (IOException e) {
            throw new UsageException("cannot write in " + dir + ": " + e.getMessage());
        }
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            try (KvClient client = kvctl.connect(options)) {
                client.saveSnapshot(() -> {
                    channel.truncate(0);
                    channel.position(0);
                    return new java.io.BufferedOutputStream(nonClosing(Channels.newOutputStream(channel)), 1 << 16);
                }, timeout);
            }
            channel.force(true);
            SnapshotCheck.Result check;
            try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(temporary), 1 << 16)) {
                check = SnapshotCheck.check(in);
            }
            if (!check.ok()) {
                throw new KvFailure(Status.Code.INTERNAL, "snapshot save: the snapshot received is damaged, "
                        + file + " not written: " + check.problem());
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceFolder(dir);
            print(kvctl.output(), check);
            return ExitCodes.OK;
        } catch (IOException | UncheckedIOException e) {
            throw new KvFailure(Status.Code.INTERNAL, "snapshot save: cannot write " + file + ": " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // nothing more to do: a leftover ".part" file is never mistaken for a snapshot
            }
        }
    }

    private void print(Output out, SnapshotCheck.Result r) {
        if (options.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("file", file.toString());
            json.put("index", r.index());
            json.put("term", r.term());
            json.put("keys", r.keys());
            json.put("size", r.bytes());
            out.json(json);
        } else {
            out.line("saved snapshot at index " + r.index() + " (term " + r.term() + "): " + r.keys() + " keys, "
                    + r.bytes() + " bytes, to " + file);
        }
    }

    private static void forceFolder(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** The channel outlives each attempt's stream: closing the stream must not close it. */
    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
    }
}
