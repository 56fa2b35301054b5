package raftkv.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release package (SPEC 10, issue 13): unpacked into an empty folder, with no Maven on the
 * PATH and no source tree, its bin/ runs a 3-node cluster on 127.0.0.1 and kvctl talks to it.
 */
class ReleaseIT {
    @TempDir
    Path dir;

    private record Run(int exitCode, String stdout, String stderr) {}

    @Test
    void theTarballRunsAClusterFromBinWithoutMavenOrSources() throws Exception {
        Path tarball = Path.of(System.getProperty("raftkv.tarball"));
        String name = tarball.getFileName().toString().replace(".tar.gz", "");
        Path unpacked = dir.resolve("unpacked");
        Files.createDirectories(unpacked);
        assertEquals(0, run(List.of("tar", "xzf", tarball.toString(), "-C", unpacked.toString()), Map.of()).exitCode());
        Path home = unpacked.resolve(name);
        for (String f : List.of("bin/kv-server", "bin/kvctl", "bin/raftkv-cluster", "bin/lib/common.sh", "lib/kvctl.jsa",
                "config/config.json", "README.md", "deploy/raftkv@.service")) {
            assertTrue(Files.exists(home.resolve(f)), f + " missing from the package");
        }
        Map<String, String> env = Map.of("PATH", pathWithoutMaven(dir.resolve("path")).toString(),
                "RAFTKV_JAVA_OPTS", "-XX:+UseSerialGC -Xmx256m -XX:TieredStopAtLevel=1");
        assertNotEquals(0, run(List.of("bash", "-c", "command -v mvn"), env).exitCode(), "mvn must not be reachable");

        Run serverVersion = run(List.of(home.resolve("bin/kv-server").toString(), "--version"), env);
        Run kvctlVersion = run(List.of(home.resolve("bin/kvctl").toString(), "--version"), env);
        assertEquals(0, serverVersion.exitCode(), serverVersion.toString());
        assertEquals(0, kvctlVersion.exitCode(), kvctlVersion.toString());
        assertEquals(serverVersion.stdout().replace("kv-server ", ""), kvctlVersion.stdout().replace("kvctl ", ""),
                "both programs name the same version and commit");

        Path config = writeConfig(dir.resolve("cluster"), 3);
        String cluster = home.resolve("bin/raftkv-cluster").toString();
        try {
            Run up = run(List.of(cluster, "up", "--config", config.toString()), env);
            assertEquals(0, up.exitCode(), up.toString());
            assertTrue(up.stdout().contains("cluster up: 3 nodes"), up.stdout());
            String kvctl = home.resolve("bin/kvctl").toString();
            String nodes = String.join(",", endpoints);
            Run set = run(List.of(kvctl, "set", "greeting", "hello", "--endpoints", nodes), env);
            assertEquals(0, set.exitCode(), set.toString());
            assertTrue(set.stdout().startsWith("OK "), set.toString());
            Run get = run(List.of(kvctl, "get", "greeting", "--endpoints", nodes), env);
            assertEquals(new Run(0, "hello", ""), get);

            // Called from another folder, kvctl maps the archive made at build time (Java 17 maps one
            // only for the class path it was made with), and a relative path is still the caller's.
            Files.writeString(dir.resolve("value.txt"), "from a file");
            Path classes = dir.resolve("classes.txt");
            Map<String, String> traced = new java.util.HashMap<>(env);
            traced.put("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + classes);
            Run fromFile = run(List.of(kvctl, "set", "filed", "--file", "value.txt", "--endpoints", nodes), traced);
            assertEquals(0, fromFile.exitCode(), fromFile.toString());
            assertTrue(Files.readString(classes).contains("raftkv.cli.KvCtl source: shared objects file"),
                    "kvctl's classes come from lib/kvctl.jsa");
            assertEquals(new Run(0, "from a file", ""), run(List.of(kvctl, "get", "filed", "--endpoints", nodes), env));
            Run status = run(List.of(cluster, "status", "--config", config.toString()), env);
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.stdout().contains("leader"), status.stdout());
            assertTrue(Files.size(dir.resolve("cluster/data/node-0.log")) > 0, "the node logs to its rotated file");
        } finally {
            run(List.of(cluster, "down", "--config", config.toString()), env);
            killLeftovers(dir.resolve("cluster/data"));
        }
    }

    private final List<String> endpoints = new ArrayList<>();

    /** A 3-node config on 127.0.0.1 with free ports; fills {@link #endpoints} with the LogPorts. */
    private Path writeConfig(Path folder, int nodes) throws IOException {
        Files.createDirectories(folder);
        Set<Integer> taken = new HashSet<>();
        StringBuilder json = new StringBuilder("{\"path\": \"data\", \"servers\": [\n");
        for (int i = 0; i < nodes; i++) {
            int client = freePort(taken);
            int log = freePort(taken);
            endpoints.add("127.0.0.1:" + log);
            json.append(String.format("  {\"Id\": %d, \"Hostname\": \"127.0.0.1\", \"ClientPort\": %d, \"LogPort\": %d}%s%n",
                    i, client, log, i + 1 < nodes ? "," : ""));
        }
        Path config = folder.resolve("config.json");
        Files.writeString(config, json.append("]}\n"));
        return config;
    }

    private static int freePort(Set<Integer> taken) throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                if (taken.add(s.getLocalPort())) return s.getLocalPort();
            }
        }
    }

    /** A folder of links to every program on this PATH except Maven's. */
    private static Path pathWithoutMaven(Path folder) throws IOException {
        Files.createDirectories(folder);
        for (String entry : System.getenv("PATH").split(":")) {
            Path d = Path.of(entry);
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> programs = Files.list(d)) {
                for (Path p : programs.toList()) {
                    String n = p.getFileName().toString();
                    Path link = folder.resolve(n);
                    if (n.startsWith("mvn") || Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                            || !Files.isExecutable(p) || Files.isDirectory(p)) continue;
                    Files.createSymbolicLink(link, p.toAbsolutePath());
                }
            }
        }
        return folder;
    }

    /** kill -9 of any node the scripts left running (their pid files), so no process outlives the test. */
    private static void killLeftovers(Path data) throws IOException {
        if (!Files.isDirectory(data)) return;
        try (Stream<Path> files = Files.list(data)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
                long pid = Long.parseLong(Files.readString(f).trim());
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private Run run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().remove("JAVA_HOME");
        pb.environment().remove("MAVEN_HOME");
        pb.environment().remove("M2_HOME");
        pb.environment().putAll(env);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within 180 s");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
