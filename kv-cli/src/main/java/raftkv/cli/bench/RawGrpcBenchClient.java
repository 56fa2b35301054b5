package raftkv.cli.bench;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A benchmark client that hand-encodes its requests and ignores the answers' content, so that the
 * load generator costs the same whatever it loads: etcd v3's {@code etcdserverpb.KV/Put} and
 * {@code KV/Range} (linearizable, etcd's default), needing none of etcd's .proto files, or
 * raftkv's {@code KeyValue/Set} and {@code KeyValue/Get} the same way (no request id, no leader
 * hint, no retry: what a plain gRPC client of kv.proto would send). Both put the key in field 1 and
 * the value in field 2. Each operation goes to one of the given channels, picked at random when
 * spreading, else always the same one.
 */
final class RawGrpcBenchClient implements BenchClient {
    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
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
    /** The two calls a client makes: a write of key and value, a read of a key. */
    record Dialect(MethodDescriptor<byte[], byte[]> write, MethodDescriptor<byte[], byte[]> read) {}

    static final Dialect ETCD = new Dialect(method("etcdserverpb.KV/Put"), method("etcdserverpb.KV/Range"));
    static final Dialect RAFTKV = new Dialect(method("raftkv.kv.v1.KeyValue/Set"), method("raftkv.kv.v1.KeyValue/Get"));

    private final Dialect dialect;

    private final List<ManagedChannel> channels;
    private final int fixed;
    private final SplittableRandom random;
    private final Duration timeout;

    /** @param fixed the channel to use, or -1 to pick one at random for each operation */
    RawGrpcBenchClient(Dialect dialect, List<ManagedChannel> channels, int fixed, long seed, Duration timeout) {
        this.dialect = dialect;
        this.channels = List.copyOf(channels);
        this.fixed = fixed;
        this.random = new SplittableRandom(seed);
        this.timeout = timeout;
    }

    private static MethodDescriptor<byte[], byte[]> method(String name) {
        return MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(name).setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
    }

    @Override
    public BenchOutcome set(String key, byte[] value) {
        ByteArrayOutputStream req = new ByteArrayOutputStream(key.length() + value.length + 8);
        field(req, 1, key.getBytes(StandardCharsets.UTF_8)); // PutRequest.key, SetRequest.key
        field(req, 2, value);                                 // PutRequest.value, SetRequest.value
        return call(dialect.write(), req.toByteArray());
    }

    @Override
    public BenchOutcome get(String key) {
        ByteArrayOutputStream req = new ByteArrayOutputStream(key.length() + 4);
        field(req, 1, key.getBytes(StandardCharsets.UTF_8)); // RangeRequest.key, GetRequest.key
        return call(dialect.read(), req.toByteArray());
    }

    private BenchOutcome call(MethodDescriptor<byte[], byte[]> method, byte[] request) {
        ManagedChannel channel = channels.get(fixed >= 0 ? fixed : random.nextInt(channels.size()));
        try {
            ClientCalls.blockingUnaryCall(channel, method,
                    CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS), request);
            return BenchOutcome.OK;
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.NOT_FOUND) return BenchOutcome.NOT_FOUND; // raftkv's Get of a missing key
            return code == Status.Code.DEADLINE_EXCEEDED ? BenchOutcome.timeout(code.name()) : BenchOutcome.error(code.name());
        }
    }

    /** A length-delimited protobuf field: tag, varint length, bytes. */
    static void field(ByteArrayOutputStream out, int number, byte[] bytes) {
        varint(out, (number << 3) | 2);
        varint(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    @Override
    public void close() {
        // the channels are shared and closed by whoever made them
    }
}
