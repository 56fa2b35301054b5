package raftkv.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Real raftkv nodes for kvctl's end-to-end test: one JVM per node running
 * {@code raftkv.server.ServerMain} from this test's class path (kv-server is a test dependency),
 * on 127.0.0.1 and free ports, with config.json, data and logs under a temporary folder. Every
 * process it starts is killed by {@link #close()}.
 */
final class LocalCluster implements AutoCloseable {
    private final Path dir;
    private final int size;
    private final Map<Integer, Process> nodes = new LinkedHashMap<>();

    LocalCluster(Path dir, int size) throws IOException {
        this.dir = dir;
        this.size = size;
        Set<Integer> taken = new HashSet<>();
        StringBuilder json = new StringBuilder("{\n  \"path\": \"data\",\n  \"servers\": [\n");
        for (int id = 0; id < size; id++) {
            json.append(String.format("    {\"Id\": %d, \"Hostname\": \"127.0.0.1\", \"ClientPort\": %d, \"LogPort\": %d},%n",
                    id, freePort(taken), freePort(taken)));
        }
        json.append("  ]\n}\n"); // the trailing comma of the last entry, as in the original README
        Files.writeString(configFile(), json);
    }

    /**
     * Turns TLS on before any node starts (SPEC section 8): {@code scripts/certs} (openssl) makes
     * a CA and certificates in {@code certs/} and rewrites config.json with {@code "tls"}; the
     * classes under test serve as its class path, so it never starts a build.
     */
    LocalCluster useTls(boolean clientCertAuth) throws IOException, InterruptedException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.isRegularFile(root.resolve("scripts/certs"))) root = root.getParent();
        if (root == null) throw new IllegalStateException("scripts/certs not found");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("scripts/certs").toString(), "--config", configFile().toString(),
                "--out", certs().toString(), "--days", "2", "--write-config", configFile().toString()).redirectErrorStream(true);
        pb.environment().put("RAFTKV_CLASSPATH", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new AssertionError("scripts/certs failed:\n" + output);
        Files.writeString(configFile(), Files.readString(configFile())
                .replace("\"clientCertAuth\" : false", "\"clientCertAuth\" : " + clientCertAuth));
        return this;
    }

    /** ca.crt, node-<Id>.crt/.key and client.crt/.key after {@link #useTls}. */
    Path certs() {
        return dir.resolve("certs");
    }

    Path dir() {
        return dir;
    }

    Path configFile() {
        return dir.resolve("config.json");
    }

    void startAll() throws IOException {
        for (int id = 0; id < size; id++) start(id);
    }

    void start(int id) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath, "raftkv.server.ServerMain",
                "--id", Integer.toString(id), "--config", configFile().toString()));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(id).toFile()))
                .start();
        nodes.put(id, p);
    }

    /**
     * Runs {@code kv-server restore --snapshot SNAPSHOT --config <this config> --id ID} to its end
     * (at most 60 s); its exit code, and its output after it.
     */
    String[] restore(int id, Path snapshot) throws IOException, InterruptedException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath, "raftkv.server.ServerMain",
                "restore", "--snapshot", snapshot.toString(), "--config", configFile().toString(), "--id", Integer.toString(id));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("restore of node " + id + " did not end within 60 s");
            return new String[] {Integer.toString(p.exitValue()), output};
        } finally {
            p.destroyForcibly();
        }
    }

    /** kill -9 of node {@code id}'s process, by its pid. */
    void kill(int id) throws InterruptedException {
        Process p = nodes.remove(id);
        if (p == null) return;
        p.destroyForcibly();
        if (!p.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("node " + id + " (pid " + p.pid() + ") did not die");
    }

    private Path log(int id) {
        return dir.resolve("node-" + id + ".log");
    }

    /** The last lines of every node's log, for failure messages. */
    String logs() {
        StringBuilder sb = new StringBuilder();
        for (int id = 0; id < size; id++) {
            sb.append("--- node ").append(id).append('\n');
            try {
                List<String> lines = Files.readAllLines(log(id));
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
            } catch (IOException e) {
                sb.append("(no log)\n");
            }
        }
        return sb.toString();
    }


    @Override
    public void close() {
        for (Process p : nodes.values()) p.destroyForcibly();
        try {
            for (Process p : nodes.values()) p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        nodes.clear();
    }

    private static int freePort(Set<Integer> taken) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                if (taken.add(s.getLocalPort())) return s.getLocalPort();
            }
        }
        throw new IOException("no free port on 127.0.0.1");
    }
}
