package raftkv.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;

/** SPEC 11: gRPC connections over the cap are refused, and unread replies are held per connection. */
class ClientCallLimitsTest {
    private static final GetResponse BIG = GetResponse.newBuilder().setValue(ByteString.copyFrom(new byte[1000])).build();

    /** A call as the server sees it: records what the service sends. */
    static final class FakeCall extends ServerCall<GetRequest, GetResponse> {
        final Attributes attributes;
        final List<GetResponse> sent = new ArrayList<>();
        Status closed;

        FakeCall(Attributes attributes) {
            this.attributes = attributes;
        }

        @Override public void request(int n) {}
        @Override public void sendHeaders(Metadata headers) {}
        @Override public void sendMessage(GetResponse message) { sent.add(message); }
        @Override public void close(Status status, Metadata trailers) { closed = status; }
        @Override public boolean isCancelled() { return false; }
        @Override public Attributes getAttributes() { return attributes; }
        @Override public MethodDescriptor<GetRequest, GetResponse> getMethodDescriptor() { return KeyValueGrpc.getGetMethod(); }
    }

    /** Starts a call through the limits; returns the call the service answers on. */
    @SuppressWarnings("unchecked")
    private static ServerCall.Listener<GetRequest> start(ClientCallLimits limits, FakeCall call,
                                                         List<ServerCall<GetRequest, GetResponse>> seen) {
        ServerCallHandler<GetRequest, GetResponse> service = (c, headers) -> {
            seen.add(c);
            return new ServerCall.Listener<>() {};
        };
        return limits.interceptCall(call, new Metadata(), service);
    }

    private static void answer(ServerCall<GetRequest, GetResponse> call) {
        call.sendMessage(BIG);
        call.close(Status.OK, new Metadata());
    }

    @Test
    void callsOnAConnectionOverTheCapAreRefusedWithUnavailable() {
        ClientCallLimits limits = new ClientCallLimits(2, 1 << 20);
        ServerTransportFilter filter = limits.transportFilter();
        Attributes a = filter.transportReady(Attributes.EMPTY);
        filter.transportReady(Attributes.EMPTY);
        Attributes third = filter.transportReady(Attributes.EMPTY);
        List<ServerCall<GetRequest, GetResponse>> seen = new ArrayList<>();

        FakeCall refused = new FakeCall(third);
        start(limits, refused, seen);
        assertEquals(Status.Code.UNAVAILABLE, refused.closed.getCode());
        assertEquals(0, seen.size(), "the service never saw it");
        assertEquals(1, limits.refusedCalls());

        FakeCall fine = new FakeCall(a);
        start(limits, fine, seen);
        answer(seen.get(0));
        assertEquals(List.of(BIG), fine.sent);
        assertEquals(2, limits.connections(), "a refused connection holds no slot");
        filter.transportTerminated(third);
        assertEquals(2, limits.connections());
        filter.transportTerminated(a);
        assertEquals(1, limits.connections());
    }

    @Test
    void repliesBeyondAConnectionsBudgetWaitUntilEarlierOnesAreDelivered() {
        ClientCallLimits limits = new ClientCallLimits(10, 1500); // room for one BIG reply at a time
        ServerTransportFilter filter = limits.transportFilter();
        Attributes slow = filter.transportReady(Attributes.EMPTY);
        Attributes other = filter.transportReady(Attributes.EMPTY);
        List<ServerCall<GetRequest, GetResponse>> seen = new ArrayList<>();

        FakeCall first = new FakeCall(slow);
        ServerCall.Listener<GetRequest> firstListener = start(limits, first, seen);
        FakeCall second = new FakeCall(slow);
        start(limits, second, seen);
        FakeCall third = new FakeCall(slow);
        ServerCall.Listener<GetRequest> thirdListener = start(limits, third, seen);
        FakeCall elsewhere = new FakeCall(other);
        start(limits, elsewhere, seen);
        seen.forEach(ClientCallLimitsTest::answer);

        assertEquals(List.of(BIG), first.sent);
        assertEquals(Status.OK, first.closed);
        assertEquals(List.of(), second.sent, "waits: the first reply is not delivered yet");
        assertNull(second.closed, "its status waits behind its reply");
        assertEquals(List.of(BIG), elsewhere.sent, "another connection is not held back");

        thirdListener.onCancel(); // its client gave up while waiting
        firstListener.onComplete(); // the first reply reached the client
        assertEquals(List.of(BIG), second.sent);
        assertEquals(Status.OK, second.closed);
        assertEquals(List.of(), third.sent, "a cancelled call's reply is dropped");
    }
}
