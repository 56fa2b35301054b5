package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/** The server process's contract (SPEC 2): exit codes and one-line errors. */
class ServerProcessIT {
    @TempDir
    Path dir;

    private record Run(int exitCode, List<String> output) {}

    private Run runToExit(String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(TestCluster.serverCommand(args)).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kv-server did not exit");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.exitValue(), out.lines().filter(l -> !l.isBlank()).toList());
    }

    @Test
    void badConfigStopsWithOneLineNamingTheFieldAndExitCode2() throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"servers\": [{\"Id\": 0, \"Hostname\": \"127.0.0.1\", \"ClientPort\": 8000}]}");
        Run r = runToExit("--id", "0", "--config", config.toString());
        assertEquals(2, r.exitCode());
        assertEquals(1, r.output().size(), r.output().toString());
        assertTrue(r.output().get(0).contains("servers[0].LogPort"), r.output().get(0));
    }

    @Test
    void versionAndHelpPrintToStdoutAndExit0() throws Exception {
        Run version = runToExit("--version");
        assertEquals(0, version.exitCode(), version.output().toString());
        assertEquals(1, version.output().size(), version.output().toString());
        assertTrue(version.output().get(0).matches("kv-server \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(commit ([0-9a-f]{7,40}|unknown); .*"),
                version.output().get(0));
        Run help = runToExit("--help");
        assertEquals(0, help.exitCode(), help.output().toString());
        String text = String.join("\n", help.output());
        for (String option : List.of("--id", "--config", "--log-level", "--log-format", "--log-file", "--version")) {
            assertTrue(text.contains(option), option + " missing from --help: " + text);
        }
        assertTrue(text.contains("restore"), "the restore subcommand is named in --help: " + text);
        Run restoreHelp = runToExit("restore", "--help");
        assertEquals(0, restoreHelp.exitCode(), restoreHelp.output().toString());
        String restoreText = String.join("\n", restoreHelp.output());
        for (String option : List.of("--snapshot", "--config", "--id")) {
            assertTrue(restoreText.contains(option), option + " missing from restore --help: " + restoreText);
        }
        Run restoreWithoutFile = runToExit("restore", "--id", "0");
        assertEquals(2, restoreWithoutFile.exitCode(), restoreWithoutFile.output().toString());
        assertEquals(1, restoreWithoutFile.output().size(), restoreWithoutFile.output().toString());
    }

    @Test
    void aBadOptionOrValueIsOneLineAndExitCode2() throws Exception {
        for (String[] args : List.of(new String[] {"--id", "0", "--bogus"}, new String[] {"--id", "zero"},
                new String[] {"--id", "0", "--log-format", "xml"}, new String[] {"--id", "0", "--log-level", "loud"},
                new String[] {"--id", "-1"})) {
            Run r = runToExit(args);
            assertEquals(2, r.exitCode(), List.of(args) + ": " + r.output());
            assertEquals(1, r.output().size(), List.of(args) + ": " + r.output());
            assertTrue(r.output().get(0).startsWith("kv-server: "), r.output().get(0));
        }
    }

    @Test
    void aNodeLogsJsonLinesToItsLogFile() throws Exception {
        try (TestCluster c = TestCluster.onLocalhost(dir, 1)) {
            Path logFile = dir.resolve("json.log");
            Process p = new ProcessBuilder(TestCluster.serverCommand("--id", "0", "--config", c.configFile().toString(),
                    "--log-format", "json", "--log-file", logFile.toString()))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
            try {
                Await.until(Duration.ofSeconds(60), "the node to log that it became leader", () -> {
                    try {
                        return Files.exists(logFile) && Files.readString(logFile).contains("leader");
                    } catch (IOException e) {
                        return false;
                    }
                });
                var json = new com.fasterxml.jackson.databind.ObjectMapper();
                for (String line : Files.readAllLines(logFile)) {
                    assertTrue(json.readTree(line).hasNonNull("formattedMessage"), line);
                }
                assertEquals("", Files.readString(dir.resolve("out")), "nothing on stderr with --log-file");
            } finally {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void unknownIdAndMissingArgumentsExitWith2() throws Exception {
        TestCluster c = TestCluster.onLocalhost(dir, 3);
        Run unknown = runToExit("--id", "7", "--config", c.configFile().toString());
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.output().get(0).contains("unknown --id 7"), unknown.output().toString());
        Run missing = runToExit("--config", c.configFile().toString());
        assertEquals(2, missing.exitCode());
        assertEquals(1, missing.output().size(), missing.output().toString());
    }

    @Test
    void portInUseExitsWith2() throws Exception {
        TestCluster c = TestCluster.onLocalhost(dir, 1);
        var s = c.server(0);
        try (ServerSocket taken = new ServerSocket(s.logPort(), 1, InetAddress.getByName(s.hostname()))) {
            Run r = runToExit("--id", "0", "--config", c.configFile().toString());
            assertEquals(2, r.exitCode(), r.output().toString());
            assertTrue(r.output().get(r.output().size() - 1).contains(Integer.toString(s.logPort())), r.output().toString());
            assertFalse(r.output().stream().anyMatch(l -> l.contains("Exception")), r.output().toString());
        }
    }

    @Test
    void sigtermShutsDownCleanlyWithExitCode0() throws Exception {
        try (TestCluster c = TestCluster.onLocalhost(dir, 1)) {
            c.startAll();
            c.awaitLeader(Duration.ofSeconds(30));
            try (TextClient t = TestCluster.textClient(c.server(0), 10_000)) {
                assertTrue(t.set("k", "v").startsWith("OK "));
            }
            assertEquals(0, c.stop(0), c.logs());
        }
    }

    @Test
    void aLogDamagedInTheMiddleStopsTheNodeWithOneLineAndExitCode74() throws Exception {
        try (TestCluster c = TestCluster.onLocalhost(dir, 1)) {
            c.startAll();
            c.awaitLeader(Duration.ofSeconds(30));
            try (TextClient t = TestCluster.textClient(c.server(0), 10_000)) {
                for (int i = 0; i < 50; i++) assertTrue(t.set("k" + i, "value-" + i).startsWith("OK "));
            }
            assertEquals(0, c.stop(0), c.logs());
            Path segment;
            try (var files = Files.list(c.config().nodeDir(0).resolve("wal"))) {
                segment = files.filter(f -> f.toString().endsWith(".wal")).sorted().findFirst().orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(segment);
            int recordsEnd = bytes.length; // the log writes zeros ahead of its records: the damage goes among the records
            while (recordsEnd > 0 && bytes[recordsEnd - 1] == 0) recordsEnd--;
            bytes[recordsEnd / 2] ^= 0x40; // one flipped bit, with whole records after it
            Files.write(segment, bytes);
            Run r = runToExit("--id", "0", "--config", c.configFile().toString());
            assertEquals(74, r.exitCode(), r.output().toString());
            String last = r.output().get(r.output().size() - 1);
            assertTrue(last.startsWith("kv-server: node 0 refuses to start: its write-ahead log is damaged"), last);
        }
    }

    @Test
    void aDamagedSnapshotTheLogNoLongerCoversStopsTheNodeWithExitCode74() throws Exception {
        try (TestCluster c = TestCluster.onLocalhost(dir, 1, "\"snapshotEntries\": 20")) {
            c.startAll();
            c.awaitLeader(Duration.ofSeconds(30));
            try (TextClient t = TestCluster.textClient(c.server(0), 10_000)) {
                for (int i = 0; i < 100; i++) assertTrue(t.set("k" + i, "value-" + i).startsWith("OK "));
            }
            Path snapshots = c.config().nodeDir(0).resolve("snapshots");
            Await.until(Duration.ofSeconds(30), "a snapshot past entry 60", () -> {
                try (var files = Files.list(snapshots)) {
                    return files.anyMatch(f -> f.getFileName().toString().compareTo("snapshot-00000000000000000060") > 0);
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            assertEquals(0, c.stop(0), c.logs());
            try (var files = Files.list(snapshots)) {
                for (Path f : files.filter(f -> f.toString().endsWith(".snap")).toList()) {
                    byte[] bytes = Files.readAllBytes(f);
                    bytes[bytes.length / 2] ^= 0x40;
                    Files.write(f, bytes);
                }
            }
            Run r = runToExit("--id", "0", "--config", c.configFile().toString());
            assertEquals(74, r.exitCode(), r.output().toString());
            String last = r.output().get(r.output().size() - 1);
            assertTrue(last.startsWith("kv-server: node 0 refuses to start: its write-ahead log is damaged"), last);
            assertTrue(r.output().stream().anyMatch(l -> l.contains("is unusable")), r.output().toString());
        }
    }
}
