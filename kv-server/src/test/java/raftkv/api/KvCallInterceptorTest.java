package raftkv.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;

/** kv.proto "Leader hint" on every response, and the mark a forwarded call carries to the service. */
class KvCallInterceptorTest {
    private final String name = InProcessServerBuilder.generateName();
    private final AtomicReference<String> leader = new AtomicReference<>("127.0.0.1:9001");
    // What the service saw as KvCallInterceptor.FORWARDED on its last call.
    private final AtomicReference<Boolean> sawForwarded = new AtomicReference<>();
    private Server server;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws Exception {
        if (channel != null) channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        if (server != null) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private void start() throws Exception {
        KeyValueGrpc.KeyValueImplBase service = new KeyValueGrpc.KeyValueImplBase() {
            @Override
            public void get(GetRequest request, StreamObserver<GetResponse> response) {
                sawForwarded.set(KvCallInterceptor.FORWARDED.get());
                response.onNext(GetResponse.getDefaultInstance());
                response.onCompleted();
            }
        };
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(service, new KvCallInterceptor(leader::get))).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    /** Calls Get with {@code headers}; returns the response's trailers. */
    private Metadata get(Metadata headers) {
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        KeyValueGrpc.KeyValueBlockingStub stub = KeyValueGrpc.newBlockingStub(ClientInterceptors.intercept(channel,
                MetadataUtils.newAttachHeadersInterceptor(headers),
                MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers)));
        stub.withDeadlineAfter(5, TimeUnit.SECONDS).get(GetRequest.getDefaultInstance());
        return trailers.get();
    }

    @Test
    void aClientsCallIsNotMarkedForwardedAndNamesTheLeader() throws Exception {
        start();
        Metadata trailers = get(new Metadata());
        assertFalse(sawForwarded.get());
        assertEquals("127.0.0.1:9001", trailers.get(GrpcResults.LEADER_KEY));
    }

    @Test
    void aCallAnotherNodeForwardedIsMarkedSo() throws Exception {
        start();
        Metadata forwarded = new Metadata();
        forwarded.put(GrpcResults.FORWARDED_KEY, "1");
        get(forwarded);
        assertEquals(true, sawForwarded.get());
        // The mark belongs to that call alone.
        get(new Metadata());
        assertEquals(false, sawForwarded.get());
    }

    @Test
    void noHintWhileNoLeaderIsKnown() throws Exception {
        leader.set(null);
        start();
        assertNull(get(new Metadata()).get(GrpcResults.LEADER_KEY));
    }
}
