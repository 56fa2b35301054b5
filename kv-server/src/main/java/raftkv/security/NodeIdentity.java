package raftkv.security;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;

/**
 * How a certificate names the raftkv node it was issued to: a subjectAltName URI
 * {@code raftkv://node/<Id>} (SPEC section 8, README "Security"). A URI rather than the common
 * name, so the same certificate also carries the host's DNS name or IP address for hostname
 * verification, and no client certificate can pass for a node by an unlucky CN.
 */
public final class NodeIdentity {
    /** The SAN URI prefix; the node's decimal id follows, nothing else. */
    public static final String URI_PREFIX = "raftkv://node/";
    // X.509 GeneralName tag of a uniformResourceIdentifier (RFC 5280 4.2.1.6).
    private static final int SAN_URI = 6;

    private NodeIdentity() {}

    /** The SAN URI that names node {@code id}. */
    public static String uri(long id) {
        return URI_PREFIX + id;
    }

    /**
     * The node id the certificate names, or empty when it names none. A certificate that names
     * two different nodes names none: it cannot speak for either.
     */
    public static OptionalLong nodeId(X509Certificate certificate) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return OptionalLong.empty();
        }
        if (names == null) return OptionalLong.empty();
        OptionalLong found = OptionalLong.empty();
        for (List<?> name : names) {
            if (name.size() < 2 || !Integer.valueOf(SAN_URI).equals(name.get(0)) || !(name.get(1) instanceof String s)) continue;
            OptionalLong id = parse(s);
            if (id.isEmpty()) continue;
            if (found.isPresent() && found.getAsLong() != id.getAsLong()) return OptionalLong.empty();
            found = id;
        }
        return found;
    }

    /** The id in {@code raftkv://node/<Id>}, or empty for any other text. */
    static OptionalLong parse(String uri) {
        if (!uri.startsWith(URI_PREFIX)) return OptionalLong.empty();
        String digits = uri.substring(URI_PREFIX.length());
        // Plain decimal only: "+1", "01" or "1/x" would let two spellings name one node.
        if (digits.isEmpty() || digits.length() > 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
                || (digits.length() > 1 && digits.charAt(0) == '0')) {
            return OptionalLong.empty();
        }
        long id = Long.parseLong(digits);
        return id <= Integer.MAX_VALUE ? OptionalLong.of(id) : OptionalLong.empty();
    }
}
