package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.StatusRequest;
import raftkv.testing.TextClient;

/**
 * SPEC section 8, {@code "clientCertAuth": true}, on a one-node TLS cluster: a client call without
 * a certificate is refused on LogPort and on a TLS ClientPort, one with the CA's client
 * certificate goes through. And a node whose certificate does not name it does not start.
 */
class TlsClientAuthIT {
    private static final int TIMEOUT_MS = 10_000;

    @TempDir
    Path dir;
    private TestCluster cluster;
    private final List<ManagedChannel> channels = new ArrayList<>();

    @AfterEach
    void stop() {
        TlsClients.shutdown(channels);
        if (cluster != null) cluster.close();
    }

    private KeyValueGrpc.KeyValueBlockingStub kv(ServerSpec server, Path cert, Path key) throws IOException {
        ManagedChannel ch = TlsClients.channel(server, cluster.certs().resolve("ca.crt"), cert, key);
        channels.add(ch);
        return KeyValueGrpc.newBlockingStub(ch).withDeadlineAfter(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    @Test
    void clientCallsNeedACertificateFromTheCa() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 1, "\"fsync\": false").useTls(true, true);
        cluster.startAll();
        cluster.awaitStableLeader(Duration.ofSeconds(60));
        ServerSpec node = cluster.server(0);
        Path certs = cluster.certs();

        assertEquals(0, kv(node, certs.resolve("client.crt"), certs.resolve("client.key"))
                .status(StatusRequest.getDefaultInstance()).getNodeId());
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> kv(node, null, null).status(StatusRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());

        // The text protocol too: the handshake of a client without a certificate fails.
        assertThrows(IOException.class, () -> {
            try (TextClient text = TextClient.over(TlsClients.textSocket(node, certs.resolve("ca.crt"), TIMEOUT_MS), TIMEOUT_MS)) {
                text.call("get anything\r\n");
            }
        });
    }

    @Test
    void aNodeWhoseCertificateNamesNoNodeStopsAtStartNamingTheField() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 1, "\"fsync\": false").useTls(false, false);
        // The client certificate in node 0's place: CA-signed, but it names no node.
        Path config = cluster.configFile();
        Files.writeString(config, Files.readString(config).replace("node-0.crt", "client.crt").replace("node-0.key", "client.key"));
        Process p = new ProcessBuilder(TestCluster.serverCommand("--id", "0", "--config", config.toString()))
                .redirectErrorStream(true).start();
        try {
            String output = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), output);
            assertTrue(output.contains("kv-server: cannot start node 0: servers[Id 0].CertFile: the certificate must name this node "
                    + "with the subjectAltName URI raftkv://node/0, it names no node"), output);
        } finally {
            p.destroyForcibly();
        }
    }
}
