package raftkv.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.kv.RequestId;

/**
 * Expiry follows the log's time, counted with the leaders' monotonic clocks (SPEC 11): three node
 * steps whose clocks the test moves, each with its own unrelated origin, as on three machines.
 */
class LogTimeTest {
    private static final ByteString KEY = ByteString.copyFromUtf8("k");
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    Path tmp;
    private List<TestClock> clocks;

    @Test
    void theLogClockCountsOnFromWhatItSawAndNeverGoesBack() {
        TestClock nanos = new TestClock(-7 * SECOND);
        LogClock clock = new LogClock(nanos, 5_000);
        assertEquals(5_000, clock.now());
        nanos.advance(2 * SECOND);
        assertEquals(7_000, clock.now());
        clock.observe(6_000); // behind this node's count: ignored
        assertEquals(7_000, clock.now());
        clock.observe(60_000); // a leader's stamp ahead: counted on from
        nanos.advance(SECOND / 2);
        assertEquals(60_500, clock.now());
        nanos.advance(-10 * SECOND); // a clock that went back (only a broken monotonic clock would)
        assertEquals(60_500, clock.now());
    }

    @Test
    void aKeyLivesItsTtlOfElapsedTimeAcrossAChangeOfLeaderWhateverEachMachinesClockReads() throws IOException {
        // Origins hours and years apart, as monotonic clocks of different machines are.
        StepCluster c = cluster(new long[] {0, 3_600 * SECOND, -40_000_000 * SECOND});
        NodeStep first = c.awaitLeader();
        done(c.submit(first, new KvRequest.Set(KEY, ByteString.copyFromUtf8("v"), 10, RequestId.NONE)));

        advance(c, 4 * SECOND);
        assertInstanceOf(KvResult.Found.class, done(c.submit(first, new KvRequest.Get(KEY))));

        // The leader goes; another continues the log's time from its entries.
        c.down.add(first.id());
        NodeStep second = c.awaitLeader();
        assertNotSame(first, second);
        advance(c, 4 * SECOND);
        KvResult.Found found = assertInstanceOf(KvResult.Found.class, done(c.submit(second, new KvRequest.Get(KEY))));
        assertEquals(2, found.ttlSeconds(), "8 s of the 10 s ttl have passed (and the election's few ticks)");

        advance(c, 3 * SECOND);
        assertInstanceOf(KvResult.NotFound.class, done(c.submit(second, new KvRequest.Get(KEY))));
    }

    private static KvResult done(CompletableFuture<NodeStep.Outcome> f) {
        return assertInstanceOf(NodeStep.Outcome.Done.class, f.getNow(null)).result();
    }

    /** Three node steps, each with a clock the test moves; origins as far apart as different machines'. */
    private StepCluster cluster(long[] origins) throws IOException {
        List<TestClock> clocks = new ArrayList<>();
        // Their wall clocks fail the test if read: no deadline may depend on them.
        for (long origin : origins) clocks.add(new TestClock(origin));
        this.clocks = clocks;
        return new StepCluster(tmp, 0, clocks);
    }

    /** Moves every clock on; ticks a few times, as time passing does, so that heartbeats and expiry ticks go. */
    private void advance(StepCluster c, long nanos) {
        for (TestClock clock : clocks) clock.advance(nanos);
        c.tick(3);
    }
}
