package raftkv.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.node.KvResult;

/**
 * The two directions of {@link GrpcResults}: what a node answers, and what a forwarding node makes
 * of the status it gets back. A status the leader never sent (its connection broke as it died)
 * must read as "outcome unknown", never as an internal error (issue 11).
 */
class GrpcResultsTest {
    private static KvResult roundTrip(KvResult answered) {
        StatusRuntimeException e = GrpcResults.toStatus(answered);
        return GrpcResults.fromStatus(e.getStatus(), e.getTrailers());
    }

    @Test
    void everyAnswerOfANodeComesBackAsItWasMeant() {
        assertEquals(new KvResult.NotFound(), roundTrip(new KvResult.NotFound()));
        assertEquals(new KvResult.VersionMismatch(), roundTrip(new KvResult.VersionMismatch()));
        assertEquals(new KvResult.StaleRequest(), roundTrip(new KvResult.StaleRequest()));
        assertInstanceOf(KvResult.Invalid.class, roundTrip(new KvResult.Invalid("bad key", false)));
        assertInstanceOf(KvResult.Internal.class, roundTrip(new KvResult.Internal("a real bug")));
        KvResult.Unavailable u = assertInstanceOf(KvResult.Unavailable.class,
                roundTrip(new KvResult.Unavailable("no quorum", "h:1")));
        assertEquals("h:1", u.leaderPeerAddress());
    }

    @Test
    void aRedirectComesBackAsCertainlyNotExecuted() {
        KvResult.Redirect r = assertInstanceOf(KvResult.Redirect.class, roundTrip(new KvResult.Redirect("h:0", "h:1")));
        assertEquals("h:1", r.leaderPeerAddress());
    }

    @Test
    void aStatusTheNodeDidNotSendMeansTheOutcomeIsUnknown() {
        // grpc-java reports a connection reset mid-call as INTERNAL ("Rst Stream") or UNKNOWN at times.
        for (Status s : List.of(Status.INTERNAL.withDescription("Rst Stream"), Status.UNKNOWN, Status.UNAVAILABLE,
                Status.CANCELLED, Status.DEADLINE_EXCEEDED,
                Status.RESOURCE_EXHAUSTED.withDescription("message too large"))) {
            assertInstanceOf(KvResult.Unavailable.class, GrpcResults.fromStatus(s, new Metadata()), s.toString());
            assertInstanceOf(KvResult.Unavailable.class, GrpcResults.fromStatus(s, null), s.toString());
        }
    }

    @Test
    void successesAreNeverMappedToStatuses() {
        // A Found is not an error: mapping it is a caller's bug, reported as INTERNAL, never lost.
        assertEquals(Status.Code.INTERNAL,
                GrpcResults.toStatus(new KvResult.Found(ByteString.EMPTY, 1, 0)).getStatus().getCode());
    }

    @Test
    void aFullStoreIsResourceExhaustedAndSurvivesForwarding() {
        StatusRuntimeException e = GrpcResults.toStatus(new KvResult.NoSpace());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertEquals(new KvResult.NoSpace(), GrpcResults.fromStatus(e.getStatus(), e.getTrailers()));
        StatusRuntimeException disk = GrpcResults.toStatus(new KvResult.NoSpace(true));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, disk.getStatus().getCode());
        assertEquals(GrpcResults.NO_DISK, disk.getStatus().getDescription());
        assertEquals(new KvResult.NoSpace(true), GrpcResults.fromStatus(disk.getStatus(), disk.getTrailers()));
    }
}
