package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testing.TextClient;

/** Nodes told apart by address, as on real hosts: 127.0.0.1 ... 127.0.0.5, all on the same two ports. */
class HostsIT {
    @TempDir
    Path dir;

    @Test
    void fiveAddressesOnTheSamePortsFormOneCluster() throws Exception {
        List<String> hosts = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5");
        try (TestCluster c = new TestCluster(dir, hosts, true)) {
            assertEquals(c.server(0).clientPort(), c.server(4).clientPort());
            c.startAll();
            c.awaitLeader(Duration.ofSeconds(60));
            try (TextClient first = TestCluster.textClient(c.server(0), 20_000); TextClient last = TestCluster.textClient(c.server(4), 20_000)) {
                assertTrue(first.set("where", "everywhere").startsWith("OK "), c.logs());
                assertEquals("everywhere", last.get("where"));
            }
        }
    }
}
