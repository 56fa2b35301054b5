package raftkv.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import raftkv.proto.SnapshotCheck;

/** {@code kvctl snapshot status FILE}: what a saved snapshot holds, and whether it is intact. Reads only the file. */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Describe a snapshot file made by 'kvctl snapshot save', and check it. One field a line:",
                "  index     the log index the snapshot ends at (the highest version in it is at most this)",
                "  term      the term of that entry",
                "  keys      how many keys it holds",
                "  sessions  how many exactly-once client sessions it holds",
                "  size      the file's size in bytes",
                "  checksum  ok, or what is wrong (damaged, truncated)",
                "With --output json: {\"file\", \"index\", \"term\", \"keys\", \"sessions\", \"size\", \"checksum_ok\", "
                        + "\"problem\"}. Exits with 2 if the file is missing, damaged or truncated."},
        footer = {"", "Example:", "  kvctl snapshot status backup.snap"})
final class SnapshotStatusCommand implements Callable<Integer> {
    @ParentCommand
    SnapshotCommand parent;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text (for people, the default) or json (one JSON object on stdout, for scripts).")
    OutputFormat output;

    @Parameters(index = "0", paramLabel = "FILE", description = "The snapshot file.")
    Path file;

    @Override
    public Integer call() {
        KvCtl kvctl = parent.kvctl;
        Path path = kvctl.env().workingDir().resolve(file);
        SnapshotCheck.Result r;
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            r = SnapshotCheck.check(in);
        } catch (NoSuchFileException e) {
            throw new UsageException("no such file: " + file);
        } catch (IOException e) {
            throw new UsageException("cannot read " + file + ": " + e.getMessage());
        }
        Output out = kvctl.output();
        if (output == OutputFormat.json) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("file", file.toString());
            json.put("index", r.index());
            json.put("term", r.term());
            json.put("keys", r.keys());
            json.put("sessions", r.sessions());
            json.put("size", r.bytes());
            json.put("checksum_ok", r.ok());
            json.put("problem", r.problem());
            out.json(json);
        } else {
            out.line("index     " + r.index());
            out.line("term      " + r.term());
            out.line("keys      " + r.keys());
            out.line("sessions  " + r.sessions());
            out.line("size      " + r.bytes());
            out.line("checksum  " + (r.ok() ? "ok" : "BAD: " + r.problem()));
        }
        if (!r.ok()) {
            kvctl.env().stderr().println("kvctl: " + file + " is not an intact snapshot: " + ExitCodes.oneLine(r.problem()));
        }
        return r.ok() ? ExitCodes.OK : ExitCodes.USAGE;
    }
}
