package raftkv.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.wal.PrivateFiles;

/** SPEC section 8: the warnings a node logs at start about plaintext and about its data folder. */
class SecurityChecksTest {
    @TempDir
    Path dir;

    @Test
    void withoutTlsTheNodeWarnsThatLogPortIsUnauthenticated() throws Exception {
        ClusterConfig config = ClusterConfig.withDefaults(dir.resolve("data"), List.of(new ServerSpec(0, "localhost", 8000, 9000)));
        PrivateFiles.createDirectories(config.nodeDir(0));

        List<String> warnings = SecurityChecks.atStart(config, 0, NodeTls.plaintext());

        assertEquals(List.of("LogPort localhost:9000 is plaintext and unauthenticated: anyone who can reach it can act as "
                + "a peer (rewrite the data, depose the leader) and as a client; add a \"tls\" section to the config for "
                + "production (README, Security)"), warnings);
    }

    @Test
    void foldersAndFilesTheNodeCreatesAreOwnerOnly() throws Exception {
        Path node = dir.resolve("data/node-0");
        PrivateFiles.createDirectories(node.resolve("wal"));
        PrivateFiles.open(node.resolve("wal/segment"), java.util.Set.of(java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)).close();

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(node)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve("wal/segment"))));
        assertEquals(List.of(), SecurityChecks.dataFolder(dir.resolve("data"), node));
    }

    @Test
    void looserFoldersAndFilesAreReportedOnceEach() throws Exception {
        Path data = dir.resolve("data");
        Path node = data.resolve("node-0");
        PrivateFiles.createDirectories(node.resolve("wal"));
        Files.setPosixFilePermissions(node.resolve("wal"), PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String f : List.of("a", "b", "c")) {
            Files.writeString(node.resolve("wal").resolve(f), "x");
            Files.setPosixFilePermissions(node.resolve("wal").resolve(f), PosixFilePermissions.fromString("rw-r--r--"));
        }

        List<String> warnings = SecurityChecks.dataFolder(data, node);

        assertEquals(2, warnings.size(), warnings.toString());
        assertEquals("data folder " + node.resolve("wal") + " (rwxr-xr-x) can be used by other users: the log and "
                + "snapshots hold every value; expected 0700 or tighter; run: chmod 700 " + node.resolve("wal"), warnings.get(0));
        assertTrue(warnings.get(1).matches("data file .* \\(rw-r--r--\\) and 2 more files can be used by other users: .*"
                + "expected 0600 or tighter; run: chmod -R go-rwx " + node), warnings.get(1));
    }
}
