package raftkv.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Metadata;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import raftkv.node.KvResult;

/** The results of SPEC 11 as gRPC statuses, and back through a forwarding node. */
class GrpcResultsTest {
    @Test
    void aFullStoreIsResourceExhaustedAndSurvivesForwarding() {
        Status status = GrpcResults.toStatus(new KvResult.NoSpace()).getStatus();
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode());
        assertEquals(new KvResult.NoSpace(), GrpcResults.fromStatus(status, new Metadata()));
    }

    @Test
    void gRpcsOwnResourceExhaustedIsNotAFullStore() {
        KvResult relayed = GrpcResults.fromStatus(Status.RESOURCE_EXHAUSTED.withDescription("message too large"), new Metadata());
        assertEquals(KvResult.Internal.class, relayed.getClass());
    }
}
