package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kvctl bench --spread, --no-prefill and --protocol etcd, against fakes. */
class BenchSpreadTest {
    @TempDir
    Path dir;

    @Test
    void spreadGrpcOperationsGoToEveryNodeNotOnlyTheLeader() throws Exception {
        try (FakeKeyValue leader = FakeKeyValue.start(); FakeKeyValue follower = FakeKeyValue.start()) {
            leader.leaderHint(leader.endpoint());
            follower.leaderHint(leader.endpoint());
            Cli.Result r = new Cli(dir).run("bench", "--endpoints", leader.endpoint() + "," + follower.endpoint(),
                    "--spread", "--ops", "400", "--clients", "2", "--write-ratio", "1", "-q");
            assertEquals(0, r.exit(), r::toString);
            assertTrue(follower.calls() > 100, "follower calls " + follower.calls());
            assertTrue(leader.calls() > 100, "leader calls " + leader.calls());
        }
    }

    @Test
    void spreadTextClientsTalkToEveryNode() throws Exception {
        try (FakeTextServer a = new FakeTextServer(); FakeTextServer b = new FakeTextServer()) {
            JsonNode json = CommandsTest.oneObject(new Cli(dir).run("bench", "--protocol", "text", "--spread",
                    "--endpoints", a.endpoint() + "," + b.endpoint(), "--ops", "200", "--clients", "1",
                    "--write-ratio", "1", "-o", "json"));
            assertEquals(0, json.get("errors").asLong());
            assertEquals(1, a.connectionsAccepted());
            assertEquals(1, b.connectionsAccepted());
        }
    }

    @Test
    void noPrefillWritesNothingBeforeMeasuring() throws Exception {
        try (FakeKeyValue node = FakeKeyValue.start()) {
            JsonNode json = CommandsTest.oneObject(new Cli(dir).run("bench", "--endpoints", node.endpoint(),
                    "--no-prefill", "--ops", "50", "--clients", "2", "--write-ratio", "0", "-o", "json"));
            assertEquals(50, json.get("not_found").asLong());
            assertEquals(List.of(), node.writeIds());
        }
    }

    @Test
    void grpcRawSendsKeyValueSetAndGetEncodedByHandWithoutRequestIds() throws Exception {
        try (FakeKeyValue a = FakeKeyValue.start(); FakeKeyValue b = FakeKeyValue.start()) {
            JsonNode json = CommandsTest.oneObject(new Cli(dir).run("bench", "--protocol", "grpc-raw", "--spread",
                    "--endpoints", a.endpoint() + "," + b.endpoint(), "--ops", "200", "--clients", "2", "--keys", "5",
                    "--value-size", "3", "-o", "json"));
            assertEquals("grpc-raw", json.get("protocol").asText());
            assertEquals(0, json.get("errors").asLong());
            assertTrue(json.get("successful").asLong() >= 200, json.toString());
            assertTrue(a.calls() > 20 && b.calls() > 20, "spread over both: " + a.calls() + " and " + b.calls());
            assertEquals(List.of(), a.writeIds(), "no request id");
            // The prefill wrote every key with a 3-byte value, decoded as a SetRequest by the fake.
            for (int k = 0; k < 5; k++) {
                ByteString value = a.value("bench-" + k) != null ? a.value("bench-" + k) : b.value("bench-" + k);
                assertEquals(3, value.size(), "bench-" + k);
            }
        }
    }

    @Test
    void grpcRawCountsAGetOfAMissingKeyAsNotFoundNotAnError() throws Exception {
        try (FakeKeyValue node = FakeKeyValue.start()) {
            JsonNode json = CommandsTest.oneObject(new Cli(dir).run("bench", "--protocol", "grpc-raw", "--endpoints",
                    node.endpoint(), "--no-prefill", "--write-ratio", "0", "--ops", "30", "--clients", "1", "-o", "json"));
            assertEquals(0, json.get("errors").asLong());
            assertEquals(30, json.get("not_found").asLong());
        }
    }

    @Test
    void anUnknownProtocolIsAUsageError() throws Exception {
        Cli.Result r = new Cli(dir).run("bench", "--protocol", "grpc_raw", "--endpoints", "127.0.0.1:1", "--ops", "1");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.stderr().contains("'grpc_raw' is not a protocol: expected grpc, grpc-raw, text or etcd"), r.stderr());
    }

    @Test
    void etcdProtocolSendsPutAndRangeAsEtcdEncodesThem() throws Exception {
        List<byte[]> puts = new CopyOnWriteArrayList<>();
        List<byte[]> ranges = new CopyOnWriteArrayList<>();
        Server etcd = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerServiceDefinition.builder("etcdserverpb.KV")
                        .addMethod(raw("etcdserverpb.KV/Put"), ServerCalls.asyncUnaryCall((req, out) -> {
                            puts.add(req);
                            out.onNext(new byte[0]);
                            out.onCompleted();
                        }))
                        .addMethod(raw("etcdserverpb.KV/Range"), ServerCalls.asyncUnaryCall((req, out) -> {
                            ranges.add(req);
                            out.onNext(new byte[0]);
                            out.onCompleted();
                        }))
                        .build())
                .build().start();
        try {
            JsonNode json = CommandsTest.oneObject(new Cli(dir).run("bench", "--protocol", "etcd", "--endpoints",
                    "127.0.0.1:" + etcd.getPort(), "--ops", "20", "--clients", "1", "--keys", "1", "--value-size", "3",
                    "-o", "json"));
            assertEquals(20, json.get("successful").asLong());
            // PutRequest{key: "bench-0" (field 1), value: 3 bytes (field 2)}; RangeRequest{key (field 1)}
            byte[] put = puts.get(0);
            assertArrayEquals(new byte[] {0x0A, 7, 'b', 'e', 'n', 'c', 'h', '-', '0', 0x12, 3},
                    java.util.Arrays.copyOf(put, 11));
            assertEquals(14, put.length);
            assertTrue(!ranges.isEmpty());
            assertArrayEquals(new byte[] {0x0A, 7, 'b', 'e', 'n', 'c', 'h', '-', '0'}, ranges.get(0));
        } finally {
            etcd.shutdownNow();
        }
    }

    private static MethodDescriptor<byte[], byte[]> raw(String name) {
        MethodDescriptor.Marshaller<byte[]> m = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(byte[] value) {
                return new ByteArrayInputStream(value);
            }

            @Override
            public byte[] parse(InputStream stream) {
                try {
                    return stream.readAllBytes();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        return MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(name).setRequestMarshaller(m).setResponseMarshaller(m).build();
    }
}
