package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;

/**
 * SPEC 11: expiry follows the log's time, counted by the leaders' monotonic clocks, never a wall
 * clock. Node 2 runs under Debian's libfaketime one hour ahead (its wall clock, and every clock
 * of its process, read an hour later than the others'); when it takes over the leadership, no key
 * expires early. Skipped when libfaketime is not installed.
 */
class WallClockIT {
    private static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");
    private static final Duration LEADER = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private TestCluster cluster;

    @AfterEach
    void cleanUp() {
        if (cluster != null) cluster.close();
    }

    @Test
    void aLeaderWhoseClockIsAnHourAheadExpiresNoKeyEarly() throws Exception {
        assumeTrue(Files.exists(LIBFAKETIME), "libfaketime is not installed (apt-get install libfaketime)");
        cluster = TestCluster.onLocalhost(dir, 3, "\"testFaultInjection\": true");
        cluster.start(0);
        cluster.start(1);
        cluster.start(2, System.getProperty("raftkv.it.heap", "256m"),
                Map.of("LD_PRELOAD", LIBFAKETIME.toString(), "FAKETIME", "+1h"));
        cluster.awaitStableLeader(LEADER);
        cluster.makeLeader(0);
        ServerSpec normal = cluster.server(0);
        ServerSpec ahead = cluster.server(2);
        try (GrpcClient c = new GrpcClient(normal)) {
            c.set("minute", ByteString.copyFromUtf8("v"), 60, null);
            c.set("forever", "v");
        }
        cluster.makeLeader(2);
        try (GrpcClient c = new GrpcClient(ahead)) {
            // A write through the hour-ahead leader stamps the log; then every key is read there.
            c.set("after", ByteString.copyFromUtf8("v"), 60, null);
            long left = c.getMeta("minute").getTtlSeconds();
            assertTrue(left > 30 && left <= 60, "the 60 s key has " + left + " s left under a leader an hour ahead");
            assertEquals(60, c.getMeta("after").getTtlSeconds(), 1);
            assertEquals("v", c.get("forever").getValue().toStringUtf8());
        }
        cluster.makeLeader(1);
        try (GrpcClient c = new GrpcClient(cluster.server(1))) {
            long left = c.getMeta("minute").getTtlSeconds();
            assertTrue(left > 30 && left <= 60, "after the hour-ahead leader, the 60 s key has " + left + " s left");
            assertTrue(c.getMeta("after").getTtlSeconds() > 30);
        }
        System.out.println("WallClockIT: a leader one hour ahead (libfaketime) expired no key early");
    }
}
