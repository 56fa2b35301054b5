package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.StatusResponse;

/** The status table: one row per endpoint, down ones included, and the leader line. */
class StatusCommandTest {
    @TempDir
    Path dir;

    private static StatusResponse status(long id, Role role, long leader, String peer) {
        return StatusResponse.newBuilder().setNodeId(id).setRole(role).setTerm(3).setCommitIndex(40 + id)
                .setAppliedIndex(39 + id).setLastLogIndex(41).setPeerAddress(peer).setClientAddress("127.0.0.1:800" + id)
                .setLeaderKnown(true).setLeaderId(leader).setLeaderAddress("127.0.0.1:leader").build();
    }

    @Test
    void tableShowsEveryEndpointAndTheLeader() throws Exception {
        try (FakeKeyValue a = FakeKeyValue.start(); FakeKeyValue b = FakeKeyValue.start()) {
            a.status(status(0, Role.ROLE_LEADER, 0, a.endpoint()).toBuilder().setVersion("0.1.0 (commit abc1234)")
                    .setSnapshotIndex(12).setDataBytes(1536).build());
            b.status(status(1, Role.ROLE_FOLLOWER, 0, b.endpoint()));
            String down = "127.0.0.1:" + Ports.unused();
            Cli.Result r = new Cli(dir).run("status", "--endpoints", a.endpoint() + "," + b.endpoint() + "," + down);
            assertEquals(0, r.exit(), r::toString);
            assertEquals("", r.stderr());
            List<String> lines = r.stdout().lines().toList();
            assertEquals(5, lines.size(), r::toString);
            assertTrue(lines.get(0).matches("ID +ADDRESS +TEXT +ROLE +TERM +COMMIT +APPLIED +LEADER +SNAPSHOT +DATA +VERSION"),
                    lines.get(0));
            assertTrue(lines.get(1).matches("0 +" + a.endpoint() + " +127\\.0\\.0\\.1:8000 +leader +3 +40 +39 +0 +12 +1\\.5 KiB"
                    + " +0\\.1\\.0 \\(commit abc1234\\)"), lines.get(1));
            assertTrue(lines.get(2).matches("1 +" + b.endpoint() + " +127\\.0\\.0\\.1:8001 +follower +3 +41 +40 +0 +0 +0 B +-"), lines.get(2));
            assertTrue(lines.get(3).matches("- +" + down + " +- +down +- +- +- +- +- +- +-"), lines.get(3));
            assertEquals("leader: node 0 at 127.0.0.1:leader (named by 2 of 3 endpoints)", lines.get(4));
        }
    }

    @Test
    void jsonHasOneEntryPerEndpoint() throws Exception {
        try (FakeKeyValue a = FakeKeyValue.start()) {
            a.status(status(0, Role.ROLE_LEADER, 0, a.endpoint()));
            String down = "127.0.0.1:" + Ports.unused();
            JsonNode json = CommandsTest.oneObject(new Cli(dir).run("status", "-o", "json", "--endpoints", a.endpoint() + "," + down));
            assertEquals(2, json.get("nodes").size());
            JsonNode up = json.get("nodes").get(0);
            assertTrue(up.get("up").asBoolean());
            assertEquals("leader", up.get("role").asText());
            assertEquals(3, up.get("term").asLong());
            assertEquals(40, up.get("commit_index").asLong());
            assertEquals(39, up.get("applied_index").asLong());
            assertEquals(0, up.get("leader_id").asLong());
            JsonNode gone = json.get("nodes").get(1);
            assertFalse(gone.get("up").asBoolean());
            assertEquals(down, gone.get("endpoint").asText());
            assertTrue(gone.get("error").asText().contains("UNAVAILABLE"), gone.toString());
            assertEquals(0, json.get("leader").get("id").asLong());
            assertEquals(1, json.get("up").asLong());
        }
    }

    @Test
    void aNodeThatDoesNotAnswerIsShownDownWithinTheDeadline() throws Exception {
        try (FakeKeyValue a = FakeKeyValue.start();
             java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            a.status(status(0, Role.ROLE_LEADER, 0, a.endpoint()));
            String hung = "127.0.0.1:" + silent.getLocalPort();
            Cli.Result r = new Cli(dir).run("status", "--timeout", "0.5", "--endpoints", hung + "," + a.endpoint());
            assertEquals(0, r.exit(), r::toString);
            assertTrue(r.stdout().lines().anyMatch(l -> l.matches("- +" + hung + " +- +down.*")), r::toString);
            assertTrue(r.stdout().contains("leader: node 0"), r::toString);
        }
    }

    @Test
    void noLeaderKnown() throws Exception {
        try (FakeKeyValue a = FakeKeyValue.start()) {
            a.status(StatusResponse.newBuilder().setNodeId(7).setRole(Role.ROLE_CANDIDATE).setTerm(9).build());
            Cli.Result r = new Cli(dir).run("status", "--endpoints", a.endpoint());
            assertEquals(0, r.exit(), r::toString);
            assertTrue(r.stdout().contains("candidate"), r::toString);
            assertTrue(r.stdout().contains("leader: none known"), r::toString);
        }
    }
}
