package raftkv.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.Role;
import raftkv.transport.PeerStats;

/** The counters and histograms fed from the node's status, its peers and its snapshot writer, as scraped. */
class NodeMetricsTest {
    @Test
    void proposalsReadIndexPeerBytesAndSnapshotDurationsAreExported() throws IOException {
        NodeMetrics.RaftView raft = new NodeMetrics.RaftView(3, Role.LEADER, 1, 40, 40, 41, 7, 37, 12);
        PeerStats peer = new PeerStats(2, "127.0.0.1:9002", 10, 9, 1, 0, 1, 100, true, null, 5_000, 2_500);
        NodeMetrics metrics = new NodeMetrics(() -> raft,
                () -> new NodeMetrics.DiskView(1, 1, 30, 400, 2_000), () -> List.of(peer), () -> null);
        metrics.snapshotWritten(120);
        metrics.snapshotWritten(3);

        String body = scrape(metrics);
        assertTrue(body.contains("raftkv_raft_proposals_total 37.0"), body);
        assertTrue(body.contains("raftkv_raft_read_index_total 12.0"), body);
        assertTrue(body.contains("raftkv_peer_bytes_sent_total{peer=\"2\"} 7500.0"), body);
        assertTrue(body.contains("raftkv_snapshot_write_seconds_count 2"), body);
        assertTrue(body.contains("raftkv_snapshot_write_seconds_bucket{le=\"0.004\"} 1"), body);
    }

    @Test
    void aNodeThatDoesNotAnswerLeavesItsRaftCountersOutOfTheScrape() throws IOException {
        NodeMetrics metrics = new NodeMetrics(() -> null,
                () -> new NodeMetrics.DiskView(0, 0, 0, 0, 0), List::of, () -> null);
        String body = scrape(metrics);
        assertTrue(!body.contains("raftkv_raft_proposals_total "), body);
    }

    private static String scrape(NodeMetrics metrics) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        return out.toString(StandardCharsets.UTF_8);
    }
}
