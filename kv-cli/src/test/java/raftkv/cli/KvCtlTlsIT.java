package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testing.Await;

/**
 * kvctl against a real 3-node cluster with TLS and {@code clientCertAuth} (SPEC section 8),
 * certificates from {@code scripts/certs}: with the client certificate, from flags or from the
 * environment, set, get, status and bench work, the CA taken from --config's tls section; without
 * it the cluster is unavailable to kvctl.
 */
class KvCtlTlsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void kvctlWithTheClientCertificateWorksOverTls() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3).useTls(true)) {
            cluster.startAll();
            String cert = cluster.certs().resolve("client.crt").toString();
            String key = cluster.certs().resolve("client.key").toString();
            Cli flags = new Cli(dir);
            try {
                Await.until(Duration.ofSeconds(60), "a leader, seen over TLS", () -> {
                    Cli.Result r = flags.run("status", "-o", "json", "--timeout", "3", "--config", "config.json",
                            "--cert", cert, "--key", key);
                    return r.exit() == 0 && r.stdout().contains("\"leader\":{");
                });

                Cli.Result set = flags.run("set", "secure", "hello", "--config", "config.json", "--cert", cert, "--key", key);
                assertEquals(0, set.exit(), set.toString());
                assertTrue(set.stdout().matches("OK \\d+\n"), set.toString());

                // The same from the environment, the CA too, with explicit endpoints.
                String endpoints = String.join(",", ClusterFile.servers(cluster.configFile()).stream()
                        .map(s -> s.grpcEndpoint().toString()).toList());
                Cli env = new Cli(dir).env("KVCTL_CACERT", cluster.certs().resolve("ca.crt").toString())
                        .env("KVCTL_CERT", cert).env("KVCTL_KEY", key).env("KVCTL_ENDPOINTS", endpoints);
                Cli.Result get = env.run("get", "secure");
                assertEquals(0, get.exit(), get.toString());
                assertEquals("hello", get.stdout());

                Cli.Result status = env.run("status");
                assertEquals(0, status.exit(), status.toString());
                assertTrue(status.stdout().contains("leader: node "), status.toString());

                Cli.Result bench = env.run("bench", "--ops", "200", "--clients", "4", "--keys", "20", "-q", "-o", "json");
                assertEquals(0, bench.exit(), bench.toString());
                JsonNode b = JSON.readTree(bench.stdout());
                assertEquals(200, b.path("successful").asLong(), bench.toString());

                // Without a client certificate: the nodes refuse the handshake (clientCertAuth).
                Cli.Result refused = flags.run("get", "secure", "--config", "config.json", "--timeout", "3");
                assertEquals(ExitCodes.UNAVAILABLE, refused.exit(), refused.toString());
                // Plaintext: no connection either.
                Cli.Result plain = new Cli(dir).run("get", "secure", "--endpoints", endpoints, "--timeout", "3");
                assertEquals(ExitCodes.UNAVAILABLE, plain.exit(), plain.toString());
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n" + cluster.logs(), e);
            }
        }
    }
}
