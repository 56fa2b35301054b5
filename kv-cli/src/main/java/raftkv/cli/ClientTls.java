package raftkv.cli;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettySslContextChannelCredentials;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import javax.net.ssl.SSLException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How kvctl dials the LogPorts (SPEC section 8), etcdctl's way: plaintext unless a CA is known;
 * with one, TLS that checks the server's certificate against it and the endpoint's host name,
 * presenting a client certificate when one is given (a cluster with {@code clientCertAuth}
 * requires it).
 *
 * <p>The CA, first found wins: {@code --cacert}; {@code KVCTL_CACERT}; the {@code tls.caFile} of
 * the config file kvctl uses ({@code --config}, or {@code ./config.json} when the endpoints come
 * from it). The certificate and key: {@code --cert} and {@code --key}, else {@code KVCTL_CERT}
 * and {@code KVCTL_KEY}; both or neither.
 */
record ClientTls(Path caFile, Path certFile, Path keyFile) {
    public static final String ENV_CACERT = "KVCTL_CACERT";
    public static final String ENV_CERT = "KVCTL_CERT";
    public static final String ENV_KEY = "KVCTL_KEY";

    /** Plaintext. */
    static final ClientTls NONE = new ClientTls(null, null, null);

    /**
     * @param configFile the config kvctl takes endpoints or the CA from, or null
     */
    static ClientTls resolve(Path cacert, Path cert, Path key, CliEnv env, Path configFile) {
        Path ca = cacert != null ? env.workingDir().resolve(cacert) : fromEnv(env, ENV_CACERT);
        if (ca == null && configFile != null && Files.isRegularFile(configFile)) ca = ClusterFile.caFile(configFile);
        String certFrom = cert != null ? "--cert" : ENV_CERT;
        String keyFrom = key != null ? "--key" : ENV_KEY;
        Path c = cert != null ? env.workingDir().resolve(cert) : fromEnv(env, ENV_CERT);
        Path k = key != null ? env.workingDir().resolve(key) : fromEnv(env, ENV_KEY);
        if ((c == null) != (k == null)) {
            throw new UsageException(c == null ? keyFrom + " needs a certificate too (--cert or " + ENV_CERT + ")"
                    : certFrom + " needs its private key too (--key or " + ENV_KEY + ")");
        }
        if (c != null && ca == null) {
            throw new UsageException(certFrom + " is for TLS: give the cluster's CA too (--cacert, " + ENV_CACERT
                    + ", or --config FILE whose \"tls\" names it)");
        }
        return new ClientTls(ca, c, k);
    }

    private static Path fromEnv(CliEnv env, String name) {
        String v = env.getenv().apply(name);
        return v == null || v.isBlank() ? null : env.workingDir().resolve(v.strip());
    }

    boolean enabled() {
        return caFile != null;
    }

    /** The gRPC credentials; a {@link UsageException} naming the files when they cannot be used. */
    ChannelCredentials credentials() {
        if (!enabled()) return InsecureChannelCredentials.create();
        readable(caFile, "CA certificate");
        if (certFile != null) {
            readable(certFile, "certificate");
            readable(keyFile, "private key");
        }
        try {
            // Built now, once for every channel, so that a bad file is a usage error rather than a failed call.
            SslContextBuilder b = GrpcSslContexts.forClient().trustManager(caFile.toFile());
            if (certFile != null) b.keyManager(certFile.toFile(), keyFile.toFile());
            return NettySslContextChannelCredentials.create(b.build());
        } catch (SSLException | IllegalArgumentException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            throw new UsageException("cannot use the TLS files (CA " + caFile + (certFile == null ? "" : ", certificate "
                    + certFile + ", key " + keyFile) + "): " + ExitCodes.oneLine(String.valueOf(root.getMessage())), e);
        }
    }

    private static Path readable(Path file, String what) {
        if (!Files.isRegularFile(file)) throw new UsageException(what + " " + file + ": no such file");
        if (!Files.isReadable(file)) throw new UsageException(what + " " + file + ": permission denied");
        return file;
    }
}
