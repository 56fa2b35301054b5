package raftkv.cli;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import raftkv.proto.kv.GetMetaRequest;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.SetRequest;
import raftkv.proto.kv.SetResponse;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;

/**
 * A stand-in node for {@link StartupTraining}: it answers Get, GetMeta, Set and Status on
 * 127.0.0.1 with fixed answers, so that the training run takes kvctl's success path (the gRPC
 * response, HTTP/2 frames, protobuf parsing) and the archive holds those classes too. Never
 * used against a real cluster.
 */
final class TrainingNode extends KeyValueGrpc.KeyValueImplBase implements AutoCloseable {
    private final Server server;

    TrainingNode() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(this).build().start();
    }

    String endpoint() {
        return "127.0.0.1:" + server.getPort();
    }

    @Override
    public void get(GetRequest req, StreamObserver<GetResponse> out) {
        out.onNext(GetResponse.newBuilder().setValue(req.getKey()).setVersion(1).build());
        out.onCompleted();
    }

    @Override
    public void getMeta(GetMetaRequest req, StreamObserver<GetMetaResponse> out) {
        out.onNext(GetMetaResponse.newBuilder().setValue(req.getKey()).setVersion(1).setValueSize(req.getKey().size()).build());
        out.onCompleted();
    }

    @Override
    public void set(SetRequest req, StreamObserver<SetResponse> out) {
        out.onNext(SetResponse.newBuilder().setVersion(2).build());
        out.onCompleted();
    }

    @Override
    public void status(StatusRequest req, StreamObserver<StatusResponse> out) {
        out.onNext(StatusResponse.newBuilder().setNodeId(0).setRole(Role.ROLE_LEADER).setTerm(1).setPeerAddress(endpoint())
                .setClientAddress("127.0.0.1:1").setLeaderKnown(true).setLeaderAddress(endpoint()).build());
        out.onCompleted();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
