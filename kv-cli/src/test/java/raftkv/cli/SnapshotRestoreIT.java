package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.testing.Await;

/**
 * Backup and restore end to end (SPEC section 10): keys written to a 3-node cluster (some with a
 * ttl, some overwritten), {@code kvctl snapshot save}, {@code kv-server restore} of every node of
 * a fresh 3-node cluster on other ports from that file, and the new cluster serves every key with
 * its value, version and remaining ttl; a new write gets a higher version than any restored one.
 */
class SnapshotRestoreIT {
    private static final Duration LEADER_WAIT = Duration.ofSeconds(60);
    private static final int KEYS = 200;
    private static final long TTL = 3600;

    @TempDir
    Path dir;

    @Test
    void aSavedSnapshotRestoresIntoANewClusterWithEveryKeyVersionAndTtl() throws Exception {
        Path backup = dir.resolve("backup.snap");
        Map<String, GetMetaResponse> expected = new LinkedHashMap<>();
        long snapshotIndex;
        Files.createDirectories(dir.resolve("old"));
        try (LocalCluster old = new LocalCluster(dir.resolve("old"), 3)) {
            old.startAll();
            Cli cli = new Cli(old.dir());
            try (KvClient client = client(old)) {
                for (int i = 0; i < KEYS; i++) {
                    long ttl = i % 5 == 0 ? TTL : 0;
                    client.set(key(i), ByteString.copyFromUtf8("value-" + i), ttl);
                }
                for (int i = 0; i < KEYS; i += 7) client.set(key(i), ByteString.copyFromUtf8("again-" + i), i % 2 == 0 ? TTL : 0);
                client.delete(key(1));

                followersReferToTheLeader(old);
                Cli.Result saved = cli.run("snapshot", "save", backup.toString(), "-o", "json");
                assertEquals(0, saved.exit(), saved::toString);
                JsonNode s = CommandsTest.oneObject(saved);
                snapshotIndex = s.get("index").asLong();
                assertEquals(KEYS - 1, s.get("keys").asLong(), saved::toString);
                assertEquals(Files.size(backup), s.get("size").asLong());

                Cli.Result status = cli.run("snapshot", "status", backup.toString(), "-o", "json");
                assertEquals(0, status.exit(), status::toString);
                JsonNode st = CommandsTest.oneObject(status);
                assertTrue(st.get("checksum_ok").asBoolean(), status::toString);
                assertEquals(snapshotIndex, st.get("index").asLong());
                assertEquals(KEYS - 1, st.get("keys").asLong());

                for (int i = 0; i < KEYS; i++) {
                    if (i != 1) expected.put("key-" + i, client.getMeta(key(i)));
                }
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + old.logs(), e);
            }
        }

        Files.createDirectories(dir.resolve("new"));
        try (LocalCluster fresh = new LocalCluster(dir.resolve("new"), 3)) {
            for (int id = 0; id < 3; id++) {
                String[] r = fresh.restore(id, backup);
                assertEquals("0", r[0], r[1]);
                assertTrue(r[1].contains("restored the snapshot at entry " + snapshotIndex), r[1]);
            }
            String[] again = fresh.restore(0, backup);
            assertEquals("2", again[0], "a non-empty data folder is refused: " + again[1]);
            assertEquals(1, again[1].strip().lines().count(), again[1]);
            assertTrue(again[1].contains("is not empty"), again[1]);

            fresh.startAll();
            try (KvClient client = client(fresh)) {
                long maxVersion = 0;
                for (Map.Entry<String, GetMetaResponse> e : expected.entrySet()) {
                    GetMetaResponse want = e.getValue();
                    GetMetaResponse got = client.getMeta(ByteString.copyFromUtf8(e.getKey()));
                    assertEquals(want.getValue(), got.getValue(), e.getKey());
                    assertEquals(want.getVersion(), got.getVersion(), e.getKey());
                    if (want.getTtlSeconds() == 0) {
                        assertEquals(0, got.getTtlSeconds(), e.getKey());
                    } else {
                        // The deadline is kept: what is left is what was left, less the time since.
                        assertTrue(got.getTtlSeconds() <= want.getTtlSeconds() && got.getTtlSeconds() > want.getTtlSeconds() - 120,
                                e.getKey() + ": ttl " + got.getTtlSeconds() + ", was " + want.getTtlSeconds());
                    }
                    maxVersion = Math.max(maxVersion, got.getVersion());
                }
                assertEquals(KvFailure.class, failure(() -> client.getMeta(key(1))).getClass(), "a deleted key stays deleted");
                assertTrue(maxVersion <= snapshotIndex);
                long next = client.set(ByteString.copyFromUtf8("after-restore"), ByteString.copyFromUtf8("new"), 0);
                assertTrue(next > snapshotIndex, "version " + next + " after a snapshot at " + snapshotIndex);
                long overwrite = client.set(key(0), ByteString.copyFromUtf8("newer"), 0);
                assertTrue(overwrite > next);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + fresh.logs(), e);
            }
        }
    }

    /** SaveSnapshot on each node directly: one leader streams, every follower answers UNAVAILABLE naming it. */
    private static void followersReferToTheLeader(LocalCluster cluster) throws InterruptedException {
        int leaders = 0;
        int referrals = 0;
        for (ClusterFile.Server s : ClusterFile.servers(cluster.configFile())) {
            Endpoint e = s.grpcEndpoint();
            io.grpc.ManagedChannel channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
                    .forAddress(e.host(), e.port()).usePlaintext().build();
            try {
                var chunks = raftkv.proto.kv.KeyValueGrpc.newBlockingStub(channel).withDeadlineAfter(20, java.util.concurrent.TimeUnit.SECONDS)
                        .saveSnapshot(raftkv.proto.kv.SaveSnapshotRequest.getDefaultInstance());
                while (chunks.hasNext()) chunks.next();
                leaders++;
            } catch (io.grpc.StatusRuntimeException x) {
                assertEquals(io.grpc.Status.Code.UNAVAILABLE, x.getStatus().getCode(), x::toString);
                assertTrue(x.getTrailers() != null && x.getTrailers().get(KvClient.LEADER_KEY) != null, x::toString);
                referrals++;
            } finally {
                channel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        assertEquals(1, leaders);
        assertEquals(2, referrals);
    }

    /** A client of the cluster, once it has a leader that answers reads. */
    private static KvClient client(LocalCluster cluster) {
        List<Endpoint> endpoints = ClusterFile.servers(cluster.configFile()).stream().map(s -> s.grpcEndpoint()).toList();
        KvClient client = KvClient.open(endpoints, Duration.ofSeconds(20), EndpointOptions.DEFAULT_MAX_MESSAGE_BYTES, "snapshot-it");
        Await.until(LEADER_WAIT, "a leader serving reads", () -> {
            try {
                client.get(ByteString.copyFromUtf8("probe"));
                return true;
            } catch (KvFailure e) {
                return e.code() == io.grpc.Status.Code.NOT_FOUND;
            }
        });
        return client;
    }

    private static ByteString key(int i) {
        return ByteString.copyFromUtf8("key-" + i);
    }

    private static RuntimeException failure(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("no failure");
    }
}
