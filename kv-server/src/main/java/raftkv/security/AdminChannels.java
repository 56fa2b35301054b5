package raftkv.security;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;

/**
 * The credentials with which local tools ({@code scripts/cluster} through ClusterTool, the
 * integration tests) dial a cluster's LogPorts to ask for Status: plaintext without
 * {@code tls}; with it, TLS checked against {@code caFile}, and a certificate for clusters with
 * {@code clientCertAuth}: {@code KVCTL_CERT} and {@code KVCTL_KEY} when set (as kvctl takes them),
 * else the first server of the config whose certificate and key are on this host (the tool runs
 * the local nodes, so it holds their keys).
 */
public final class AdminChannels {
    private AdminChannels() {}

    public static ChannelCredentials credentials(ClusterConfig config, Map<String, String> env) {
        if (!config.tlsEnabled()) return InsecureChannelCredentials.create();
        try {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(config.tls().caFile().toFile());
            String cert = env.get("KVCTL_CERT");
            String key = env.get("KVCTL_KEY");
            if (cert != null && !cert.isBlank() && key != null && !key.isBlank()) {
                b.keyManager(Path.of(cert).toFile(), Path.of(key).toFile());
            } else {
                for (ServerSpec s : config.servers()) {
                    if (Files.isReadable(s.certFile()) && Files.isReadable(s.keyFile())) {
                        b.keyManager(s.certFile().toFile(), s.keyFile().toFile());
                        break;
                    }
                }
            }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS files of the config: " + e.getMessage(), e);
        }
    }
}
