package raftkv.it;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import raftkv.config.ServerSpec;

/**
 * Clients of a TLS cluster for tests, written against the standard APIs only (gRPC's
 * TlsChannelCredentials, the JDK's SSLSocket), as an outside client would be.
 */
final class TlsClients {
    private TlsClients() {}

    /**
     * A channel to {@code server}'s LogPort: plaintext when {@code ca} is null; else TLS trusting
     * {@code ca}, presenting {@code cert}/{@code key} when not null.
     */
    static ManagedChannel channel(ServerSpec server, Path ca, Path cert, Path key) throws IOException {
        ChannelCredentials credentials;
        if (ca == null) {
            credentials = InsecureChannelCredentials.create();
        } else {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(ca.toFile());
            if (cert != null) b.keyManager(cert.toFile(), key.toFile());
            credentials = b.build();
        }
        return NettyChannelBuilder.forAddress(server.hostname(), server.logPort(), credentials).build();
    }

    /** A TLS connection to {@code server}'s ClientPort that trusts {@code ca} and checks the host name; no client certificate. */
    static Socket textSocket(ServerSpec server, Path ca, int timeoutMs) throws IOException {
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(ca)) {
                int i = 0;
                for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) trust.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            Socket plain = new Socket();
            plain.connect(new InetSocketAddress(server.hostname(), server.clientPort()), timeoutMs);
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, server.hostname(), server.clientPort(), true);
            SSLParameters params = socket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
            socket.setSSLParameters(params);
            socket.setSoTimeout(timeoutMs);
            socket.startHandshake();
            return socket;
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    static void shutdown(List<ManagedChannel> channels) {
        channels.forEach(ManagedChannel::shutdownNow);
    }
}
