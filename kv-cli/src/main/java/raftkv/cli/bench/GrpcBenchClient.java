package raftkv.cli.bench;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import raftkv.cli.KvClient;
import raftkv.cli.KvFailure;

/**
 * A benchmark client over gRPC: a {@link KvClient} session of its own (its own client id for
 * request ids), sharing channels and the leader hint with the other clients. It behaves as
 * kvctl's commands do: straight to the leader once a response names it, failing over when an
 * endpoint is down. Each operation has the deadline of {@code --timeout}.
 */
final class GrpcBenchClient implements BenchClient {
    private final KvClient session;

    GrpcBenchClient(KvClient session) {
        this.session = session;
    }

    @Override
    public BenchOutcome set(String key, byte[] value) {
        try {
            session.set(ByteString.copyFromUtf8(key), ByteString.copyFrom(value), 0);
            return BenchOutcome.OK;
        } catch (KvFailure f) {
            return failure(f);
        }
    }

    @Override
    public BenchOutcome get(String key) {
        try {
            session.get(ByteString.copyFromUtf8(key));
            return BenchOutcome.OK;
        } catch (KvFailure f) {
            return f.code() == Status.Code.NOT_FOUND ? BenchOutcome.NOT_FOUND : failure(f);
        }
    }

    private static BenchOutcome failure(KvFailure f) {
        return f.code() == Status.Code.DEADLINE_EXCEEDED ? BenchOutcome.timeout(f.code().name()) : BenchOutcome.error(f.code().name());
    }

    @Override
    public void close() {
        session.close();
    }
}
