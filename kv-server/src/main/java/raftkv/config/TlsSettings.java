package raftkv.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The top-level {@code "tls"} object of config.json (SPEC section 8). Its presence turns TLS on:
 * LogPort then serves TLS only, peers dial each other over mutual TLS, and every certificate is
 * checked against {@code caFile}. Each server's own certificate and key are its {@code CertFile}
 * and {@code KeyFile} ({@link ServerSpec}).
 *
 * @param caFile         absolute; PEM, the CA (or CAs) that issue the nodes' and clients' certificates
 * @param clientCertAuth client calls need a certificate from {@code caFile} too (etcd's --client-cert-auth)
 * @param text           ClientPort speaks the text protocol inside TLS, with the node's certificate
 */
public record TlsSettings(Path caFile, boolean clientCertAuth, boolean text) {
    public static final boolean DEFAULT_CLIENT_CERT_AUTH = false;
    public static final boolean DEFAULT_TEXT = false;

    public TlsSettings {
        Objects.requireNonNull(caFile, "caFile");
    }
}
