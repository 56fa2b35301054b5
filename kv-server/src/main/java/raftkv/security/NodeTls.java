package raftkv.security;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettySslContextChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettySslContextServerCredentials;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLException;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.config.TlsSettings;

/**
 * One node's TLS material, read and checked once at start (SPEC section 8): what its LogPort
 * serves with, what it dials peers and the leader with, and what its ClientPort serves with when
 * {@code tls.text} is on. Without {@code tls} every part is plaintext.
 *
 * <p>LogPort asks every caller for a certificate and checks any it gets against {@code caFile};
 * it requires one only with {@code clientCertAuth}, so that a client without a certificate gets a
 * gRPC status from the peer service's check ({@code UNAUTHENTICATED}) instead of a broken
 * handshake. Peers and the forwarder present the node's own certificate and verify the server's
 * against {@code caFile} and its {@code Hostname} (gRPC checks the name the channel dialled).
 *
 * <p>Each problem is one line naming the field ({@code tls.caFile}, {@code servers[Id 2].KeyFile}),
 * raised as an {@link IOException} so that the node stops at start with exit code 2.
 */
public final class NodeTls {
    private final boolean enabled;
    private final ServerCredentials logPort;
    private final ChannelCredentials peers;
    // Null unless tls.text: the ClientPort then speaks the text protocol inside TLS.
    private final io.netty.handler.ssl.SslContext text;
    private final List<String> warnings;

    private NodeTls(boolean enabled, ServerCredentials logPort, ChannelCredentials peers,
                    io.netty.handler.ssl.SslContext text, List<String> warnings) {
        this.enabled = enabled;
        this.logPort = logPort;
        this.peers = peers;
        this.text = text;
        this.warnings = List.copyOf(warnings);
    }

    /** Plaintext everywhere: the config has no {@code tls}. */
    public static NodeTls plaintext() {
        return new NodeTls(false, InsecureServerCredentials.create(), InsecureChannelCredentials.create(), null, List.of());
    }

    /** The material of node {@code id}: plaintext without {@code tls}, else its files, checked. */
    public static NodeTls forNode(ClusterConfig config, int id) throws IOException {
        TlsSettings tls = config.tls();
        if (tls == null) return plaintext();
        ServerSpec self = config.server(id);
        String certField = "servers[Id " + id + "].CertFile";
        String keyField = "servers[Id " + id + "].KeyFile";
        List<String> warnings = new ArrayList<>();
        List<X509Certificate> cas = certificates("tls.caFile", tls.caFile());
        List<X509Certificate> own = certificates(certField, self.certFile());
        readable(keyField, self.keyFile());
        checkOwnCertificate(certField, id, own.get(0), cas);
        looseKeyWarning(keyField, self.keyFile()).ifPresent(warnings::add);
        try {
            SslContext server = GrpcSslContexts.forServer(self.certFile().toFile(), self.keyFile().toFile())
                    .trustManager(tls.caFile().toFile())
                    .clientAuth(tls.clientCertAuth() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL)
                    .build();
            SslContext client = GrpcSslContexts.forClient()
                    .keyManager(self.certFile().toFile(), self.keyFile().toFile())
                    .trustManager(tls.caFile().toFile())
                    .build();
            io.netty.handler.ssl.SslContext text = !tls.text() ? null
                    : io.netty.handler.ssl.SslContextBuilder.forServer(self.certFile().toFile(), self.keyFile().toFile())
                            .trustManager(tls.caFile().toFile())
                            .clientAuth(tls.clientCertAuth() ? io.netty.handler.ssl.ClientAuth.REQUIRE
                                    : io.netty.handler.ssl.ClientAuth.NONE)
                            .build();
            return new NodeTls(true, NettySslContextServerCredentials.create(server),
                    NettySslContextChannelCredentials.create(client), text, warnings);
        } catch (SSLException | IllegalArgumentException e) {
            // The certificate parsed above, so what Netty cannot use is the key, or the pair.
            throw new IOException(keyField + " " + self.keyFile() + ": cannot use it with " + certField + ": "
                    + rootMessage(e) + " (expected an unencrypted PEM private key matching the certificate)", e);
        }
    }

    /** True when the config has {@code tls}. */
    public boolean enabled() {
        return enabled;
    }

    /** What LogPort serves with. */
    public ServerCredentials logPortCredentials() {
        return logPort;
    }

    /** What this node dials its peers' LogPorts with (Raft and forwarding to the leader). */
    public ChannelCredentials peerCredentials() {
        return peers;
    }

    /** What ClientPort serves with, or null for plaintext. */
    public io.netty.handler.ssl.SslContext textContext() {
        return text;
    }

    /** Lines to log at WARN at start (a private key others can read, say). */
    public List<String> warnings() {
        return warnings;
    }

    private static List<X509Certificate> certificates(String field, Path file) throws IOException {
        readable(field, file);
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> certs = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) certs.add((X509Certificate) c);
            if (certs.isEmpty()) throw new IOException(field + " " + file + ": holds no PEM certificate");
            return certs;
        } catch (CertificateException e) {
            throw new IOException(field + " " + file + ": not a PEM certificate: " + rootMessage(e), e);
        }
    }

    private static void readable(String field, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            in.read();
        } catch (NoSuchFileException e) {
            throw new IOException(field + " " + file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new IOException(field + " " + file + ": permission denied", e);
        } catch (IOException e) {
            throw new IOException(field + " " + file + ": cannot read: " + rootMessage(e), e);
        }
    }

    /**
     * Fails now on a certificate that peers would refuse anyway, with a reason a person can act
     * on: it must name this node, be valid today and be signed by one of the CA certificates.
     */
    private static void checkOwnCertificate(String field, int id, X509Certificate cert, List<X509Certificate> cas)
            throws IOException {
        var named = NodeIdentity.nodeId(cert);
        if (named.isEmpty() || named.getAsLong() != id) {
            throw new IOException(field + ": the certificate must name this node with the subjectAltName URI "
                    + NodeIdentity.uri(id) + (named.isPresent() ? ", it names node " + named.getAsLong() : ", it names no node"));
        }
        try {
            cert.checkValidity();
        } catch (CertificateException e) {
            throw new IOException(field + ": the certificate is not valid now (" + cert.getNotBefore() + " to "
                    + cert.getNotAfter() + ")", e);
        }
        for (X509Certificate ca : cas) {
            try {
                cert.verify(ca.getPublicKey());
                return;
            } catch (GeneralSecurityException notThisOne) {
                // try the next CA certificate
            }
        }
        throw new IOException(field + ": the certificate was not issued by the CA of tls.caFile");
    }

    private static Optional<String> looseKeyWarning(String field, Path key) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(key);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                return Optional.of(field + " " + key + " can be read by other users (mode "
                        + PosixFilePermissions.toString(perms) + "); chmod 600 it");
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to say
        }
        return Optional.empty();
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip().lines().findFirst().orElse("");
    }
}
