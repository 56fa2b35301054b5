package raftkv.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.config.ServerSpec;
import raftkv.testing.Await;
import raftkv.testing.TextClient;

/** SPEC section 4 against real node processes: timeouts, leader changes, bad input. */
class TextProtocolIT {
    @TempDir
    Path dir;

    @Test
    void withoutAQuorumCommandsGetErrTimeoutAfterTheRequestTimeout() throws Exception {
        try (TestCluster c = TestCluster.onLocalhost(dir, 3, "\"requestTimeoutMs\": 2000")) {
            c.startAll();
            c.awaitLeader(Duration.ofSeconds(60));
            try (TextClient t = TestCluster.textClient(c.server(0), 20_000)) {
                assertTrue(t.set("k", "v").startsWith("OK "));
                c.kill(1);
                c.kill(2);
                long start = System.nanoTime();
                assertEquals("ERR_TIMEOUT", t.call("get k\r\n"), c.logs());
                assertEquals("ERR_TIMEOUT", t.set("k", "w"));
                long elapsedMs = (System.nanoTime() - start) / 1_000_000;
                assertTrue(elapsedMs >= 3_500 && elapsedMs < 15_000, "two timeouts of 2 s took " + elapsedMs + " ms");
            }
        }
    }

    @Test
    void aLeaderChangeIsInvisibleToAClientOfAFollower() throws Exception {
        try (TestCluster c = TestCluster.onLocalhost(dir, 3)) {
            c.startAll();
            ServerSpec leader = c.awaitLeader(Duration.ofSeconds(60));
            ServerSpec follower = c.config().servers().stream().filter(s -> s.id() != leader.id()).findFirst().orElseThrow();
            try (TextClient t = TestCluster.textClient(follower, 20_000)) {
                List<String> acked = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    assertTrue(t.set("before" + i, "v" + i).startsWith("OK "));
                    acked.add("before" + i);
                }
                c.kill(leader.id());
                // Every command gets its success reply: the follower forwards to whichever node leads.
                for (int i = 0; i < 20; i++) {
                    String reply = t.set("after" + i, "v" + i);
                    assertTrue(reply.startsWith("OK "), reply + "\n" + c.logs());
                    acked.add("after" + i);
                }
                for (String key : acked) assertEquals("v" + key.replaceAll("\\D", ""), t.get(key));
            }
        }
    }

    @Test
    void malformedCommandsGetTheirErrorAndTheConnectionGoesOn() throws Exception {
        try (TestCluster c = TestCluster.onLocalhost(dir, 1, "\"maxValueBytes\": 16")) {
            c.startAll();
            c.awaitLeader(Duration.ofSeconds(60));
            try (TextClient t = TestCluster.textClient(c.server(0), 20_000)) {
                assertEquals("ERR_CMD_ERR", t.call("frobnicate x\r\n"));
                assertEquals("ERR_CMD_ERR", t.call("get\r\n"));
                assertEquals("ERR_CMD_ERR", t.call("set k -1 1\r\nx\r\n"));
                assertEquals("ERR_CMD_ERR", t.call("set k 0 3\r\nabcd\r\n"));
                assertEquals("ERR_TOO_LARGE", t.call("set k 0 17\r\n" + "x".repeat(17) + "\r\n"));
                assertEquals("ERR_NOT_FOUND", t.call("get k\r\n"));
                // noreply sends nothing: the get's answer is the next line.
                t.send("set k 0 2 noreply\r\nok\r\n");
                assertEquals("ok", t.get("k"));
                String v = t.call("getm k\r\n");
                assertTrue(v.matches("VALUE \\d+ 0 2"), v);
                t.valueBytes(2);
                assertEquals("ERR_VERSION", t.call("cas k 0 999999 1\r\nz\r\n"));
                assertEquals("DELETED", t.call("delete k\r\n"));
                assertEquals("ERR_NOT_FOUND", t.call("delete k\r\n"));
                // Pipelined commands are answered in order.
                t.send("set p 0 1\r\n1\r\nget p\r\nset p 0 1\r\n2\r\nget p\r\n");
                assertTrue(t.line().startsWith("OK "));
                assertEquals("VALUE 1", t.line());
                assertEquals("1", new String(t.valueBytes(1)));
                assertTrue(t.line().startsWith("OK "));
                assertEquals("VALUE 1", t.line());
                assertEquals("2", new String(t.valueBytes(1)));
            }
        }
    }

    @Test
    void expiredKeysVanishWithinASecondOfTheirDeadline() throws Exception {
        try (TestCluster c = TestCluster.onLocalhost(dir, 3)) {
            c.startAll();
            c.awaitLeader(Duration.ofSeconds(60));
            try (TextClient t = TestCluster.textClient(c.server(0), 20_000)) {
                assertTrue(t.call("set brief 1 1\r\nx\r\n").startsWith("OK "));
                String meta = t.call("getm brief\r\n");
                assertTrue(meta.matches("VALUE \\d+ 1 1"), meta);
                t.valueBytes(1);
                long deadline = System.nanoTime() + 1_000_000_000L;
                Await.until(Duration.ofSeconds(3), "the key to expire", () -> {
                    try {
                        return t.get("brief").equals("!ERR_NOT_FOUND");
                    } catch (java.io.IOException e) {
                        throw new AssertionError(e);
                    }
                });
                assertTrue(System.nanoTime() - deadline < 1_000_000_000L, "expired more than 1 s after its deadline");
                for (ServerSpec s : c.config().servers()) {
                    try (TextClient other = TestCluster.textClient(s, 20_000)) {
                        assertEquals("!ERR_NOT_FOUND", other.get("brief"), "node " + s.id());
                    }
                }
            }
        }
    }

    @Test
    void aThousandConcurrentConnectionsOnOneNode() throws Exception {
        try (TestCluster c = TestCluster.onLocalhost(dir, 3)) {
            c.startAll();
            c.awaitLeader(Duration.ofSeconds(60));
            List<TextClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 1000; i++) clients.add(TestCluster.textClient(c.server(0), 60_000));
                // Every connection has a command in flight at once, then a read of its own write.
                for (int i = 0; i < clients.size(); i++) clients.get(i).send("set conn" + i + " 0 1\r\n" + (i % 10) + "\r\n");
                for (TextClient t : clients) assertTrue(t.line().startsWith("OK "));
                for (int i = 0; i < clients.size(); i++) assertEquals(Integer.toString(i % 10), clients.get(i).get("conn" + i));
            } finally {
                for (TextClient t : clients) t.close();
            }
        }
    }
}
