package raftkv.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;

/**
 * What a node says at start about its exposure (SPEC section 8): one WARN when LogPort is
 * plaintext, since anyone who reaches it can act as a peer; one when clientCertAuth leaves the
 * ClientPort open in plaintext; one per kind of data-folder entry looser than 0700 (folders) or
 * 0600 (files), as etcd warns. Never fatal: the operator decides.
 */
public final class SecurityChecks {
    private static final Set<PosixFilePermission> OTHERS = Set.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecurityChecks() {}

    /** The warnings for node {@code id}, one line each, in the order to log them. */
    public static List<String> atStart(ClusterConfig config, int id, NodeTls tls) {
        List<String> warnings = new ArrayList<>();
        ServerSpec self = config.server(id);
        if (!tls.enabled()) {
            warnings.add("LogPort " + self.logAddress() + " is plaintext and unauthenticated: anyone who can reach it can "
                    + "act as a peer (rewrite the data, depose the leader) and as a client; add a \"tls\" section to the "
                    + "config for production (README, Security)");
        } else if (config.tls().clientCertAuth() && !config.tls().text()) {
            warnings.add("tls.clientCertAuth is on, but the text protocol on ClientPort " + self.clientAddress()
                    + " is plaintext and takes no certificate; set tls.text to true to close it");
        }
        warnings.addAll(tls.warnings());
        warnings.addAll(dataFolder(config.dataDir(), config.nodeDir(id)));
        return warnings;
    }

    /**
     * Warnings about {@code dataDir} itself and everything under {@code nodeDir} that group or
     * others may use; at most one line for folders and one for files, with a count and an example.
     */
    static List<String> dataFolder(Path dataDir, Path nodeDir) {
        List<String> warnings = new ArrayList<>();
        List<Path> folders = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try {
            if (loose(dataDir)) folders.add(dataDir);
            if (Files.isDirectory(nodeDir)) {
                try (Stream<Path> all = Files.walk(nodeDir)) {
                    all.forEach(p -> {
                        if (!loose(p)) return;
                        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) folders.add(p);
                        else files.add(p);
                    });
                }
            }
        } catch (UnsupportedOperationException notPosix) {
            return List.of();
        } catch (IOException | UncheckedIOException e) {
            return List.of("could not check the permissions of data folder " + nodeDir + ": " + e.getMessage());
        }
        if (!folders.isEmpty()) {
            warnings.add(describe(folders, "folder", "0700") + "; run: chmod 700 " + folders.get(0));
        }
        if (!files.isEmpty()) {
            warnings.add(describe(files, "file", "0600") + "; run: chmod -R go-rwx " + nodeDir);
        }
        return warnings;
    }

    private static String describe(List<Path> paths, String kind, String mode) {
        Path first = paths.get(0);
        String more = paths.size() == 1 ? "" : " and " + (paths.size() - 1) + " more " + kind + (paths.size() > 2 ? "s" : "");
        return "data " + kind + " " + first + " (" + mode(first) + ")" + more + " can be used by other users: "
                + "the log and snapshots hold every value; expected " + mode + " or tighter";
    }

    private static boolean loose(Path p) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            return perms.stream().anyMatch(OTHERS::contains);
        } catch (IOException e) {
            return false; // deleted while walking: a segment or snapshot going away
        }
    }

    private static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            return "?";
        }
    }
}
