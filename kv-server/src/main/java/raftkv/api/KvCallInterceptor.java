package raftkv.api;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.function.Supplier;

/**
 * Wraps every KeyValue call: adds {@code raftkv-leader: host:port} to the trailers of every
 * response, success or error, whenever this node knows the leader (kv.proto: "Leader hint"),
 * and tells the service whether another node forwarded the call.
 */
public final class KvCallInterceptor implements ServerInterceptor {
    /** True in the context of a call that another node forwarded here. */
    static final Context.Key<Boolean> FORWARDED = Context.keyWithDefault("raftkv-forwarded", false);

    private final Supplier<String> leaderAddress;

    /** @param leaderAddress the leader's gRPC address, or null while no leader is known */
    public KvCallInterceptor(Supplier<String> leaderAddress) {
        this.leaderAddress = leaderAddress;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        ServerCall<Q, R> withHint = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                String leader = leaderAddress.get();
                if (leader != null && !trailers.containsKey(GrpcResults.LEADER_KEY)) {
                    trailers.put(GrpcResults.LEADER_KEY, leader);
                }
                super.close(status, trailers);
            }
        };
        // Only a forwarded call needs a context of its own: a context wraps the call's listener, which
        // then attaches and detaches it around each of the call's events.
        if (!headers.containsKey(GrpcResults.FORWARDED_KEY)) return next.startCall(withHint, headers);
        return Contexts.interceptCall(Context.current().withValue(FORWARDED, true), withHint, headers, next);
    }
}
