package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testing.Await;

/**
 * kvctl against a real three-node cluster, found through ./config.json as a user would: every
 * command, its exit codes, and every command again after kill -9 of the first endpoint's node.
 */
class KvCtlClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LEADER_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void everyCommandWorksAndKeepsWorkingWithTheFirstNodeKilled() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3)) {
            cluster.startAll();
            Cli cli = new Cli(dir); // endpoints from ./config.json in the working folder
            try {
                Await.until(LEADER_WAIT, "3 nodes up and one leader", () -> leaderNamedByAll(cli, 3));
                checkStatusTable(cli.run("status"), 3, 0);

                assertOutput(cli.run("set", "greeting", "hello"), "OK \\d+\n");
                assertEquals("hello", ok(cli.run("get", "greeting")));
                String meta = ok(cli.run("getm", "greeting"));
                assertTrue(meta.matches("version \\d+\nttl     0\nsize    5\n"), meta);
                long version = Long.parseLong(meta.lines().findFirst().orElseThrow().substring("version ".length()));
                assertEquals(ExitCodes.VERSION_MISMATCH, cli.run("cas", "greeting", Long.toString(version - 1), "x").exit());
                assertEquals(ExitCodes.NOT_FOUND, cli.run("get", "nothere").exit());
                assertOutput(cli.run("cas", "greeting", Long.toString(version), "bonjour"), "OK \\d+\n");
                assertEquals("bonjour", ok(cli.run("get", "greeting")));

                // move-leader, through any endpoint: every node then names the target.
                for (int target : new int[] {1, 2}) {
                    assertOutput(cli.run("move-leader", Integer.toString(target)), "node " + target + " leads in term \\d+\n");
                    Await.until(LEADER_WAIT, "every node naming node " + target,
                            () -> leaderNamedByAll(cli, 3) && leaderId(cli) == target);
                }
                assertEquals(ExitCodes.USAGE, cli.run("move-leader", "7").exit(), "no node 7");

                cluster.kill(0); // the node behind the first endpoint of config.json

                assertOutput(cli.run("set", "after", "kill"), "OK \\d+\n");
                assertEquals("kill", ok(cli.run("get", "after")));
                assertEquals("bonjour", ok(cli.run("get", "greeting")), "nothing acknowledged was lost");
                String meta2 = ok(cli.run("getm", "after"));
                long v2 = Long.parseLong(meta2.lines().findFirst().orElseThrow().substring("version ".length()));
                assertEquals(ExitCodes.VERSION_MISMATCH, cli.run("cas", "after", Long.toString(v2 + 1000), "x").exit());
                assertOutput(cli.run("cas", "after", Long.toString(v2), "again"), "OK \\d+\n");
                assertOutput(cli.run("delete", "after"), "DELETED\n");
                assertEquals(ExitCodes.NOT_FOUND, cli.run("get", "after").exit());
                Await.until(LEADER_WAIT, "a leader named by both live nodes", () -> leaderNamedByAll(cli, 2));
                checkStatusTable(cli.run("status"), 2, 1);

                Cli.Result bench = cli.run("bench", "--ops", "200", "--clients", "4", "--keys", "20", "-o", "json");
                JsonNode b = CommandsTest.oneObject(bench);
                assertEquals(200, b.get("ops").asLong());
                assertEquals(0, b.get("errors").asLong(), bench::toString);
                Cli.Result text = cli.run("bench", "--protocol", "text", "--ops", "200", "--clients", "4", "-o", "json");
                JsonNode t = CommandsTest.oneObject(text);
                assertEquals(200, t.get("successful").asLong(), "the clients that start at node 0 move on: " + text);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + cluster.logs(), e);
            }
        }
    }

    /** True when {@code up} endpoints answer and all of them name one leader, which says it leads. */
    private static boolean leaderNamedByAll(Cli cli, int up) {
        Cli.Result r = cli.run("status", "-o", "json", "--timeout", "2");
        if (r.exit() != 0) return false;
        try {
            JsonNode json = JSON.readTree(r.stdout());
            JsonNode leader = json.get("leader");
            if (json.get("up").asInt() != up || leader.isNull() || leader.get("named_by").asInt() != up) return false;
            long leaders = StreamSupport.stream(json.get("nodes").spliterator(), false)
                    .filter(n -> n.get("up").asBoolean() && n.get("role").asText().equals("leader")).count();
            return leaders == 1;
        } catch (Exception e) {
            return false;
        }
    }

    private static int leaderId(Cli cli) {
        try {
            return JSON.readTree(cli.run("status", "-o", "json", "--timeout", "2").stdout()).get("leader").get("id").asInt();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void checkStatusTable(Cli.Result r, int up, int down) {
        assertEquals(0, r.exit(), r::toString);
        List<String> lines = r.stdout().lines().toList();
        assertEquals(1 + up + down + 1, lines.size(), r::toString);
        assertTrue(lines.get(0).startsWith("ID "), r::toString);
        assertEquals(1, lines.stream().filter(l -> l.matches("\\d+ .* leader .*")).count(), r::toString);
        assertEquals(down, lines.stream().filter(l -> l.contains(" down ")).count(), r::toString);
        assertTrue(lines.get(lines.size() - 1).matches("leader: node \\d+ at 127\\.0\\.0\\.1:\\d+ \\(named by " + up + " of 3 endpoints\\)"),
                r::toString);
    }

    private static String ok(Cli.Result r) {
        assertEquals(0, r.exit(), r::toString);
        return r.stdout();
    }

    private static void assertOutput(Cli.Result r, String regex) {
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.stdout().matches(regex), r::toString);
    }
}
