package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.proto.kv.RequestId;

/** kvctl bench against fake nodes: the summary, its JSON, progress, and failures shown. */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void grpcBenchPrintsTheSummary() throws Exception {
        try (FakeKeyValue node = FakeKeyValue.start()) {
            Cli.Result r = new Cli(dir).run("bench", "--endpoints", node.endpoint(), "--ops", "300", "--clients", "4",
                    "--keys", "20", "--value-size", "16");
            assertEquals(0, r.exit(), r::toString);
            String out = r.stdout();
            assertTrue(out.startsWith("kvctl bench: grpc, 4 clients, 300 ops, write ratio 0.50, 20 keys, 16-byte values\n"), out);
            assertTrue(out.contains("\nops         300 (sets "), out);
            assertTrue(out.contains("\nerrors      0\n"), out);
            assertTrue(out.contains("\ntimeouts    0\n"), out);
            assertTrue(out.contains("\nthroughput  "), out);
            assertTrue(out.lines().anyMatch(l -> l.matches("latency ms +p50 +p90 +p99 +p99\\.9 +max")), out);
            assertTrue(out.lines().anyMatch(l -> l.matches(" +all( +\\d+\\.\\d{3}){5}")), out);
            // a keyspace written first: no get misses
            assertTrue(out.contains("of which not found 0)"), out);
        }
    }

    @Test
    void eachBenchClientHasItsOwnClientId() throws Exception {
        try (FakeKeyValue node = FakeKeyValue.start()) {
            Cli.Result r = new Cli(dir).run("bench", "--endpoints", node.endpoint(), "--ops", "200", "--clients", "5",
                    "--write-ratio", "1", "-q");
            assertEquals(0, r.exit(), r::toString);
            List<RequestId> ids = node.writeIds();
            assertEquals(200, ids.size());
            Set<Long> clients = ids.stream().map(RequestId::getClientId).collect(Collectors.toSet());
            assertEquals(5, clients.size());
            for (long client : clients) {
                List<Long> seqs = ids.stream().filter(i -> i.getClientId() == client).map(RequestId::getSequence).toList();
                for (int i = 0; i < seqs.size(); i++) assertEquals(i + 1, seqs.get(i), "sequences 1, 2, 3, ... per client");
            }
        }
    }

    @Test
    void jsonHasTheSameNumbers() throws Exception {
        try (FakeKeyValue node = FakeKeyValue.start()) {
            JsonNode json = CommandsTest.oneObject(new Cli(dir).run("bench", "--endpoints", node.endpoint(),
                    "--ops", "250", "--clients", "3", "--write-ratio", "0.2", "-o", "json"));
            assertEquals("grpc", json.get("protocol").asText());
            assertEquals(250, json.get("ops").asLong());
            assertEquals(250, json.get("successful").asLong());
            assertEquals(250, json.get("sets").asLong() + json.get("gets").asLong());
            assertEquals(0, json.get("errors").asLong());
            assertEquals(0, json.get("timeouts").asLong());
            assertTrue(json.get("throughput_ops_per_s").asDouble() > 0);
            JsonNode latency = json.get("latency_ms");
            assertEquals(250, latency.get("count").asLong());
            for (String p : new String[] {"p50", "p90", "p99", "p99_9", "max"}) assertNotNull(latency.get(p), p);
            assertTrue(latency.get("p50").asDouble() <= latency.get("p99").asDouble());
            assertTrue(latency.get("p99").asDouble() <= latency.get("max").asDouble());
            assertEquals(json.get("sets").asLong(), json.get("set_latency_ms").get("count").asLong());
        }
    }

    @Test
    void textProtocolBenchSpreadsClientsOverTheNodes() throws Exception {
        try (FakeTextServer a = new FakeTextServer(); FakeTextServer b = new FakeTextServer()) {
            JsonNode json = CommandsTest.oneObject(new Cli(dir).run("bench", "--protocol", "text",
                    "--endpoints", a.endpoint() + "," + b.endpoint(), "--ops", "400", "--clients", "4", "--keys", "10",
                    "--value-size", "64", "-o", "json"));
            assertEquals("text", json.get("protocol").asText());
            assertEquals(400, json.get("ops").asLong());
            assertEquals(0, json.get("errors").asLong());
            assertEquals(2, a.connectionsAccepted());
            assertEquals(2, b.connectionsAccepted());
        }
    }

    @Test
    void textClientsSkipANodeThatRefusesConnections() throws Exception {
        try (FakeTextServer a = new FakeTextServer(); FakeTextServer b = new FakeTextServer()) {
            String down = "127.0.0.1:" + Ports.unused();
            JsonNode json = CommandsTest.oneObject(new Cli(dir).run("bench", "--protocol", "text",
                    "--endpoints", down + "," + a.endpoint() + "," + b.endpoint(), "--duration", "0.5", "--clients", "4",
                    "--write-ratio", "1", "-o", "json")); // no keyspace prefill: the connections are made while measuring
            assertTrue(json.get("successful").asLong() > 0);
            assertEquals(0, json.get("errors").asLong());
            assertEquals(2, json.get("retries").asLong(), "clients 0 and 3 start at the node that is down");
            assertEquals(3, a.connectionsAccepted());
            assertEquals(1, b.connectionsAccepted());
        }
    }

    @Test
    void failuresAreCountedAndShown() throws Exception {
        try (FakeKeyValue node = FakeKeyValue.start()) {
            node.failWith(Status.INTERNAL.withDescription("broken"));
            Cli.Result r = new Cli(dir).run("bench", "--endpoints", node.endpoint(), "--ops", "50", "--clients", "2",
                    "--write-ratio", "1");
            assertEquals(ExitCodes.UNAVAILABLE, r.exit(), r::toString);
            assertTrue(r.stdout().contains("\nerrors      50 (INTERNAL 50)\n"), r::toString);
            assertTrue(r.stderr().contains("kvctl: bench: no operation succeeded (errors 50, timeouts 0)"), r::toString);
        }
    }

    @Test
    void aClusterThatCannotBeWrittenStopsBeforeMeasuring() throws Exception {
        String down = "127.0.0.1:" + Ports.unused();
        Cli.Result r = new Cli(dir).run("bench", "--endpoints", down, "--ops", "50", "--clients", "2", "-q");
        CommandsTest.assertFails(ExitCodes.UNAVAILABLE, r, "could not write the keyspace first");
    }

    @Test
    void progressIsABarOnATerminalAndLinesOtherwise() throws Exception {
        try (FakeKeyValue node = FakeKeyValue.start()) {
            Cli.Result bar = new Cli(dir).interactive(true).run("bench", "--endpoints", node.endpoint(), "--duration", "1.2",
                    "--clients", "2");
            assertEquals(0, bar.exit(), bar::toString);
            assertTrue(bar.stderr().contains("\r[#"), bar::toString);
            assertTrue(bar.stderr().contains("ops/s"), bar::toString);
            Cli.Result lines = new Cli(dir).run("bench", "--endpoints", node.endpoint(), "--duration", "1.5", "--clients", "2");
            assertEquals(0, lines.exit(), lines::toString);
            assertEquals("bench: writing the 1000 keys once before measuring", lines.stderrLines().get(0));
            assertTrue(lines.stderrLines().get(1).matches("bench: \\d+\\.\\d s, \\d+ ops, \\d+ ops/s, p99 \\d+\\.\\d\\d ms, errors 0, timeouts 0"),
                    lines::toString);
            assertTrue(!lines.stderr().contains("\r"), lines::toString);
            assertTrue(lines.stdout().contains("for 1.5 s"), lines::toString);
        }
    }
}
