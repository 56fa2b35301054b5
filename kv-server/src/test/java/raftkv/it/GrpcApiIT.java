package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.it.GrpcClient.bytes;
import static raftkv.it.GrpcClient.expect;
import static raftkv.it.GrpcClient.id;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.CasRequest;
import raftkv.proto.kv.DeleteRequest;
import raftkv.proto.kv.GetMetaRequest;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.RequestId;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.SetRequest;
import raftkv.proto.kv.StatusResponse;
import raftkv.testing.TextClient;

/**
 * The client service of kv.proto against one real three-node cluster with the default config:
 * each call's semantics and status codes, the leader hint, Status, forwarding through followers,
 * the value size limit on both front doors, and request-id retries that need no failover (those
 * across a leader change are in {@link GrpcFailoverIT}). Every test uses keys of its own.
 */
class GrpcApiIT {
    private static final int MAX_VALUE = 1 << 20; // the default maxValueBytes

    @TempDir
    static Path dir;
    static TestCluster cluster;
    static ServerSpec leader;
    static List<ServerSpec> followers;
    static GrpcClient toLeader;
    static GrpcClient toFollower;
    static GrpcClient toOtherFollower;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.onLocalhost(dir, 3);
        cluster.startAll();
        leader = cluster.awaitStableLeader(Duration.ofSeconds(60));
        followers = cluster.config().servers().stream().filter(s -> s.id() != leader.id()).toList();
        toLeader = new GrpcClient(leader);
        toFollower = new GrpcClient(followers.get(0));
        toOtherFollower = new GrpcClient(followers.get(1));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (GrpcClient c : Arrays.asList(toLeader, toFollower, toOtherFollower)) {
            if (c != null) c.close();
        }
        if (cluster != null) cluster.close();
    }

    private static long newClientId() {
        long id;
        do {
            id = ThreadLocalRandom.current().nextLong();
        } while (id == 0);
        return id;
    }

    // ---------------------------------------------------------------- Status

    @Test
    void statusOfEveryNodeShowsOneLeaderAndAgreedTerms() {
        List<StatusResponse> all = new ArrayList<>();
        for (ServerSpec s : cluster.config().servers()) {
            try (GrpcClient c = new GrpcClient(s)) {
                StatusResponse r = c.status();
                all.add(r);
                assertEquals(s.id(), r.getNodeId());
                assertEquals(s.clientAddress(), r.getClientAddress());
                assertEquals(s.logAddress(), r.getPeerAddress());
                assertTrue(r.getLeaderKnown(), r.toString());
                assertEquals(leader.id(), r.getLeaderId(), r.toString());
                assertEquals(leader.logAddress(), r.getLeaderAddress());
                assertEquals(s.id() == leader.id() ? Role.ROLE_LEADER : Role.ROLE_FOLLOWER, r.getRole(), r.toString());
                assertTrue(r.getTerm() > 0, r.toString());
                assertTrue(r.getAppliedIndex() <= r.getCommitIndex(), r.toString());
                assertTrue(r.getCommitIndex() <= r.getLastLogIndex(), r.toString());
                assertTrue(r.getCommitIndex() > 0, "a leader's no-op is committed: " + r);
                assertEquals(leader.logAddress(), c.leaderHint(), "Status carries the leader hint too");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        assertEquals(1, all.stream().filter(r -> r.getRole() == Role.ROLE_LEADER).count(), all.toString());
        assertEquals(1, all.stream().map(StatusResponse::getTerm).distinct().count(), "terms differ: " + all);
    }

    // ---------------------------------------------------------------- Set, Get, GetMeta

    @Test
    void setThroughAnyNodeIsReadThroughEveryNode() {
        Set<Long> versions = new HashSet<>();
        long previous = 0;
        for (GrpcClient writer : List.of(toLeader, toFollower, toOtherFollower)) {
            String value = "from-" + writer.server().id();
            long v = writer.set("any-node", value);
            assertTrue(v > previous, "versions increase: " + v + " after " + previous);
            previous = v;
            assertTrue(versions.add(v));
            for (GrpcClient reader : List.of(toLeader, toFollower, toOtherFollower)) {
                GetResponse r = reader.get("any-node");
                assertEquals(value, r.getValue().toStringUtf8(), "read through node " + reader.server().id());
                assertEquals(v, r.getVersion());
            }
        }
    }

    @Test
    void getMetaShowsVersionTtlSizeAndValue() {
        long v = toFollower.set("meta-ttl", bytes("twelve bytes"), 300, null);
        GetMetaResponse m = toOtherFollower.getMeta("meta-ttl");
        assertEquals(v, m.getVersion());
        assertTrue(m.getTtlSeconds() == 300 || m.getTtlSeconds() == 299, "ttl " + m.getTtlSeconds());
        assertEquals(12, m.getValueSize());
        assertEquals("twelve bytes", m.getValue().toStringUtf8());

        long v2 = toLeader.set("meta-ttl", "forever");
        GetMetaResponse forever = toFollower.getMeta("meta-ttl");
        assertEquals(v2, forever.getVersion());
        assertEquals(0, forever.getTtlSeconds(), "a Set replaces the expiry; 0 is never");
        assertEquals(7, forever.getValueSize());

        expect(Code.NOT_FOUND, () -> toFollower.getMeta("meta-missing"));
    }

    @Test
    void emptyAndBinaryValuesRoundTrip() {
        long empty = toFollower.set("empty-value", ByteString.EMPTY, 0, null);
        GetResponse r = toOtherFollower.get("empty-value");
        assertEquals(ByteString.EMPTY, r.getValue(), "an empty value is a value, not NOT_FOUND");
        assertEquals(empty, r.getVersion());
        assertEquals(0, toLeader.getMeta("empty-value").getValueSize());

        byte[] all = new byte[512];
        for (int i = 0; i < all.length; i++) all[i] = (byte) i;
        toFollower.set("binary-value", ByteString.copyFrom(all), 0, null);
        assertArrayEquals(all, toOtherFollower.get("binary-value").getValue().toByteArray());

        String utf8Key = "clé-ключ-鍵";
        toFollower.set(utf8Key, "utf8 keys are bytes");
        assertEquals("utf8 keys are bytes", toLeader.get(utf8Key).getValue().toStringUtf8());
    }

    @Test
    void getOfAMissingKeyIsNotFound() {
        expect(Code.NOT_FOUND, () -> toLeader.get("never-written"));
        expect(Code.NOT_FOUND, () -> toFollower.get("never-written"));
    }

    // ---------------------------------------------------------------- Cas

    @Test
    void casReplacesOnlyTheExpectedVersion() {
        long v1 = toLeader.set("cas-key", "one");
        long v2 = toFollower.cas("cas-key", v1, "two", null);
        assertTrue(v2 > v1);
        assertEquals("two", toOtherFollower.get("cas-key").getValue().toStringUtf8());
        assertEquals(v2, toOtherFollower.get("cas-key").getVersion());

        // The version it replaced is stale now: nothing is written.
        expect(Code.FAILED_PRECONDITION, () -> toFollower.cas("cas-key", v1, "stale", null));
        expect(Code.FAILED_PRECONDITION, () -> toLeader.cas("cas-key", v2 + 1_000_000, "future", null));
        GetResponse after = toLeader.get("cas-key");
        assertEquals("two", after.getValue().toStringUtf8());
        assertEquals(v2, after.getVersion());

        // Cas never creates a key, whatever version it names.
        expect(Code.NOT_FOUND, () -> toFollower.cas("cas-missing", v2, "x", null));
        expect(Code.NOT_FOUND, () -> toFollower.get("cas-missing"));
    }

    @Test
    void casWithExpectedVersionZeroMatchesNoKeyOnBothFrontDoors() throws Exception {
        // Versions are positive, so 0 (and any uint64 above the largest log index) matches no key:
        // kv.proto and the text protocol answer it as a mismatch, never as a malformed request.
        long v = toLeader.set("cas-zero", "kept");
        expect(Code.FAILED_PRECONDITION, () -> toFollower.cas("cas-zero", 0, "x", null));
        expect(Code.FAILED_PRECONDITION, () -> toLeader.cas("cas-zero", 0, "x", id(newClientId(), 1)));
        expect(Code.FAILED_PRECONDITION, () -> toFollower.cas("cas-zero", -1L /* uint64 max */, "x", null));
        expect(Code.NOT_FOUND, () -> toFollower.cas("cas-zero-missing", 0, "x", null));
        expect(Code.NOT_FOUND, () -> toLeader.cas("cas-zero-missing", Long.MIN_VALUE /* 2^63 */, "x", null));
        try (TextClient text = TestCluster.textClient(followers.get(0), 20_000)) {
            assertEquals("ERR_VERSION", text.call("cas cas-zero 0 0 1\r\nx\r\n"));
            assertEquals("ERR_NOT_FOUND", text.call("cas cas-zero-missing 0 0 1\r\nx\r\n"));
        }
        try (TextClient text = TestCluster.textClient(leader, 20_000)) {
            assertEquals("ERR_VERSION", text.call("cas cas-zero 0 0 1\r\nx\r\n"));
        }
        // Nothing was written, and every node still serves.
        for (GrpcClient c : List.of(toLeader, toFollower, toOtherFollower)) {
            GetResponse r = c.get("cas-zero");
            assertEquals("kept", r.getValue().toStringUtf8());
            assertEquals(v, r.getVersion());
        }
        expect(Code.NOT_FOUND, () -> toLeader.get("cas-zero-missing"));
    }

    // ---------------------------------------------------------------- Delete

    @Test
    void deleteRemovesAKeyOnce() {
        toLeader.set("delete-me", "soon gone");
        toFollower.delete("delete-me", null);
        expect(Code.NOT_FOUND, () -> toOtherFollower.get("delete-me"));
        expect(Code.NOT_FOUND, () -> toLeader.getMeta("delete-me"));
        expect(Code.NOT_FOUND, () -> toFollower.delete("delete-me", null));
        expect(Code.NOT_FOUND, () -> toFollower.delete("never-there", null));
        // A deleted key can be written again, with a new version.
        long v = toOtherFollower.set("delete-me", "back");
        assertEquals(v, toLeader.get("delete-me").getVersion());
    }

    // ---------------------------------------------------------------- INVALID_ARGUMENT

    @Test
    void badKeysAreInvalidArgumentOnEveryCall() {
        List<ByteString> bad = List.of(
                ByteString.EMPTY,
                bytes("k".repeat(251)),
                bytes("with space"),
                bytes("line\nbreak"),
                bytes("tab\t"),
                ByteString.copyFrom(new byte[] {'n', 'u', 'l', 0}),
                ByteString.copyFrom(new byte[] {'d', 'e', 'l', 0x7F}));
        for (ByteString key : bad) {
            for (GrpcClient c : List.of(toLeader, toFollower)) {
                StatusRuntimeException e = expect(Code.INVALID_ARGUMENT,
                        () -> c.call().set(SetRequest.newBuilder().setKey(key).setValue(bytes("v")).build()));
                assertTrue(e.getStatus().getDescription() != null, "INVALID_ARGUMENT says why");
                expect(Code.INVALID_ARGUMENT, () -> c.call().get(GetRequest.newBuilder().setKey(key).build()));
                expect(Code.INVALID_ARGUMENT, () -> c.call().getMeta(GetMetaRequest.newBuilder().setKey(key).build()));
                expect(Code.INVALID_ARGUMENT, () -> c.call().cas(CasRequest.newBuilder().setKey(key)
                        .setExpectedVersion(1).setValue(bytes("v")).build()));
                expect(Code.INVALID_ARGUMENT, () -> c.call().delete(DeleteRequest.newBuilder().setKey(key).build()));
            }
        }
        // The longest key passes.
        String longest = "k".repeat(250);
        long v = toFollower.set(longest, "ok");
        assertEquals(v, toLeader.get(longest).getVersion());
    }

    @Test
    void ttlOverTheLimitIsInvalidArgument() {
        expect(Code.INVALID_ARGUMENT, () -> toFollower.set("ttl-too-long", bytes("v"), 4_294_967_296L, null));
        expect(Code.INVALID_ARGUMENT, () -> toLeader.set("ttl-too-long", bytes("v"), -1L /* uint64 max */, null));
        expect(Code.NOT_FOUND, () -> toLeader.get("ttl-too-long"));
        long v = toLeader.set("ttl-max", bytes("v"), 4_294_967_295L, null);
        GetMetaResponse m = toFollower.getMeta("ttl-max");
        assertEquals(v, m.getVersion());
        assertTrue(m.getTtlSeconds() >= 4_294_967_294L, "ttl " + m.getTtlSeconds());
        long current = toLeader.get("ttl-max").getVersion();
        expect(Code.INVALID_ARGUMENT, () -> toLeader.call().cas(CasRequest.newBuilder().setKey(bytes("ttl-max"))
                .setExpectedVersion(current).setValue(bytes("x")).setTtlSeconds(4_294_967_296L).build()));
    }

    @Test
    void requestIdsWithAZeroFieldAreInvalidArgument() {
        long client = newClientId();
        for (RequestId bad : List.of(id(0, 0), id(0, 7), id(client, 0))) {
            for (GrpcClient c : List.of(toLeader, toFollower)) {
                expect(Code.INVALID_ARGUMENT, () -> c.set("zero-id", "v", bad));
                expect(Code.NOT_FOUND, () -> c.get("zero-id"));
                expect(Code.INVALID_ARGUMENT, () -> c.delete("zero-id", bad));
                expect(Code.INVALID_ARGUMENT, () -> c.cas("zero-id", 1, "v", bad));
            }
        }
        // A valid id for the same client works afterwards: nothing was recorded for it.
        long v = toFollower.set("zero-id", "v", id(client, 1));
        assertEquals(v, toLeader.get("zero-id").getVersion());
    }

    // ---------------------------------------------------------------- leader hint

    @Test
    void everyResponseFromAFollowerCarriesTheLeaderTrailer() {
        long v = toFollower.set("hinted", "x");
        assertEquals(leader.logAddress(), toFollower.leaderHint(), "after a successful Set");
        assertEquals(v, toFollower.get("hinted").getVersion());
        assertEquals(leader.logAddress(), toFollower.leaderHint(), "after a successful Get");
        toOtherFollower.getMeta("hinted");
        assertEquals(leader.logAddress(), toOtherFollower.leaderHint(), "after a successful GetMeta");
        toOtherFollower.status();
        assertEquals(leader.logAddress(), toOtherFollower.leaderHint(), "after Status");

        StatusRuntimeException notFound = expect(Code.NOT_FOUND, () -> toFollower.get("hint-missing"));
        assertEquals(leader.logAddress(), GrpcClient.leaderHint(notFound), "on NOT_FOUND");
        StatusRuntimeException mismatch = expect(Code.FAILED_PRECONDITION, () -> toFollower.cas("hinted", v + 999_999, "y", null));
        assertEquals(leader.logAddress(), GrpcClient.leaderHint(mismatch), "on FAILED_PRECONDITION");
        StatusRuntimeException invalid = expect(Code.INVALID_ARGUMENT, () -> toOtherFollower.get(""));
        assertEquals(leader.logAddress(), GrpcClient.leaderHint(invalid), "on INVALID_ARGUMENT");

        // The leader names itself.
        toLeader.get("hinted");
        assertEquals(leader.logAddress(), toLeader.leaderHint());
    }

    // ---------------------------------------------------------------- value size

    @Test
    void aValueOfExactlyMaxValueBytesPassesBothWaysAndOneMoreIsRejected() throws Exception {
        byte[] max = new byte[MAX_VALUE];
        ThreadLocalRandom.current().nextBytes(max);
        ByteString maxValue = ByteString.copyFrom(max);
        // Through a follower, so that the forwarding hop carries it too.
        long v = toFollower.set("max-grpc", maxValue, 0, null);
        GetResponse r = toOtherFollower.get("max-grpc");
        assertEquals(v, r.getVersion());
        assertEquals(maxValue, r.getValue());
        assertEquals(MAX_VALUE, toFollower.getMeta("max-grpc").getValueSize());
        long v2 = toOtherFollower.cas("max-grpc", v, "small", null);
        assertTrue(toOtherFollower.call().cas(CasRequest.newBuilder().setKey(bytes("max-grpc")).setExpectedVersion(v2)
                .setValue(maxValue).build()).getVersion() > v2);

        ByteString tooLarge = maxValue.concat(ByteString.copyFrom(new byte[] {1}));
        expect(Code.INVALID_ARGUMENT, () -> toFollower.set("too-large-grpc", tooLarge, 0, null));
        expect(Code.INVALID_ARGUMENT, () -> toLeader.set("too-large-grpc", tooLarge, 0, null));
        long current = toLeader.get("max-grpc").getVersion();
        expect(Code.INVALID_ARGUMENT, () -> toFollower.call().cas(CasRequest.newBuilder().setKey(bytes("max-grpc"))
                .setExpectedVersion(current).setValue(tooLarge).build()));
        expect(Code.NOT_FOUND, () -> toLeader.get("too-large-grpc"));
        assertEquals(current, toLeader.get("max-grpc").getVersion());

        // The text protocol: the same limit, ERR_TOO_LARGE above it, and the connection stays in step.
        try (TextClient text = TestCluster.textClient(followers.get(1), 30_000)) {
            text.send(("set max-text 0 " + MAX_VALUE + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            text.send(max);
            assertTrue(text.call("\r\n").startsWith("OK "));
            assertEquals("VALUE " + MAX_VALUE, text.call("get max-text\r\n"));
            assertArrayEquals(max, text.valueBytes(MAX_VALUE));
            text.send(("set too-large-text 0 " + (MAX_VALUE + 1) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            assertEquals("ERR_TOO_LARGE", text.line());
            text.send(tooLarge.toByteArray());
            text.send("\r\n");
            assertEquals("!ERR_NOT_FOUND", text.get("too-large-text"));
        }
        assertEquals(maxValue, toLeader.get("max-text").getValue(), "a text write is read over gRPC");
    }

    // ---------------------------------------------------------------- request ids (no failover)

    @Test
    void aRetriedSetReturnsTheFirstVersionAndWritesOnce() {
        long client = newClientId();
        long v1 = toFollower.set("retry-set", "first", id(client, 1));
        // Another client writes in between; the retry must not overwrite it.
        long other = toLeader.set("retry-set", "other");
        assertTrue(other > v1);
        assertEquals(v1, toOtherFollower.set("retry-set", "first", id(client, 1)), "retry through another node");
        expect(Code.INVALID_ARGUMENT, () -> toLeader.set("retry-set", "different payload", id(client, 1)));
        GetResponse r = toFollower.get("retry-set");
        assertEquals("other", r.getValue().toStringUtf8());
        assertEquals(other, r.getVersion());
        // The next sequence is a new write.
        long v2 = toLeader.set("retry-set", "second", id(client, 2));
        assertTrue(v2 > other);
        assertEquals("second", toFollower.get("retry-set").getValue().toStringUtf8());
    }

    @Test
    void aRetriedFailedCasFailsTheSameWayEvenIfItWouldNowSucceed() {
        long client = newClientId();
        long v1 = toLeader.set("retry-cas", "one");
        long v2 = toLeader.set("retry-cas", "two");
        expect(Code.FAILED_PRECONDITION, () -> toFollower.cas("retry-cas", v1, "stale", id(client, 1)));
        expect(Code.FAILED_PRECONDITION, () -> toOtherFollower.cas("retry-cas", v1, "stale", id(client, 1)));
        // The same id with the version that would now succeed is another command: refused, nothing written.
        expect(Code.INVALID_ARGUMENT, () -> toLeader.cas("retry-cas", v2, "stale", id(client, 1)));
        assertEquals(v2, toFollower.get("retry-cas").getVersion());

        // A Cas that found no key: NOT_FOUND again, even after the key appears.
        expect(Code.NOT_FOUND, () -> toFollower.cas("retry-cas-missing", v2, "x", id(client, 2)));
        long created = toLeader.set("retry-cas-missing", "now here");
        expect(Code.NOT_FOUND, () -> toOtherFollower.cas("retry-cas-missing", v2, "x", id(client, 2)));
        assertEquals(created, toLeader.get("retry-cas-missing").getVersion());

        // A successful Cas: the retry returns its version and does not write again.
        long v3 = toFollower.cas("retry-cas", v2, "three", id(client, 3));
        long v4 = toLeader.set("retry-cas", "four");
        assertEquals(v3, toOtherFollower.cas("retry-cas", v2, "three", id(client, 3)));
        assertEquals(v4, toLeader.get("retry-cas").getVersion());
    }

    @Test
    void anOlderSequenceIsAbortedAndWritesNothing() {
        long client = newClientId();
        long v5 = toFollower.set("aborted", "five", id(client, 5));
        StatusRuntimeException e = expect(Code.ABORTED, () -> toOtherFollower.set("aborted", "three", id(client, 3)));
        assertEquals(leader.logAddress(), GrpcClient.leaderHint(e));
        expect(Code.ABORTED, () -> toLeader.delete("aborted", id(client, 4)));
        expect(Code.ABORTED, () -> toLeader.cas("aborted", v5, "four", id(client, 4)));
        GetResponse r = toLeader.get("aborted");
        assertEquals("five", r.getValue().toStringUtf8());
        assertEquals(v5, r.getVersion());
        // The newest write is still remembered: its retry returns its version.
        assertEquals(v5, toOtherFollower.set("aborted", "five", id(client, 5)));
        // Sequences may skip numbers; Set, Cas and Delete share them.
        long v9 = toFollower.cas("aborted", v5, "nine", id(client, 9));
        assertNotEquals(v5, v9);
        toLeader.delete("aborted", id(client, 10));
        toOtherFollower.delete("aborted", id(client, 10)); // a retried Delete succeeds again, not NOT_FOUND
        expect(Code.NOT_FOUND, () -> toFollower.get("aborted"));
        expect(Code.NOT_FOUND, () -> toFollower.delete("aborted", id(client, 11)));
    }
}
