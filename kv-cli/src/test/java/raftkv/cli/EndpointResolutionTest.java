package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where kvctl looks for the cluster: --endpoints, then --config, then KVCTL_ENDPOINTS, then
 * ./config.json. Status lists every endpoint it asked, up or down, which shows the choice.
 */
class EndpointResolutionTest {
    @TempDir
    Path dir;

    // The original README's example, // comment and trailing comma included (SPEC section 3).
    private static final String CONFIG = """
            {
                "path" : "data",
                "servers" : [
                    // one entry per node
                    {"Id": 0, "Hostname": "127.0.0.1", "ClientPort": 18000, "LogPort": 19000},
                    {"Id": 1, "Hostname": "127.0.0.1", "ClientPort": 18001, "LogPort": 19001},
                ]
            }
            """;

    private List<String> endpointsAsked(Cli.Result r) throws Exception {
        JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.stdout());
        List<String> asked = new ArrayList<>();
        json.get("nodes").forEach(n -> asked.add(n.get("endpoint").asText()));
        return asked;
    }

    @Test
    void theFlagWinsOverTheVariableAndTheConfig() throws Exception {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        Cli.Result r = new Cli(dir).env("KVCTL_ENDPOINTS", "127.0.0.1:29000")
                .run("status", "-o", "json", "--timeout", "2", "--endpoints", "127.0.0.1:39000,127.0.0.1:39001");
        assertEquals(List.of("127.0.0.1:39000", "127.0.0.1:39001"), endpointsAsked(r));
    }

    @Test
    void theVariableWinsOverConfigJson() throws Exception {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        Cli.Result r = new Cli(dir).env("KVCTL_ENDPOINTS", "127.0.0.1:29000, 127.0.0.1:29001")
                .run("status", "-o", "json", "--timeout", "2");
        assertEquals(List.of("127.0.0.1:29000", "127.0.0.1:29001"), endpointsAsked(r));
    }

    @Test
    void configJsonInTheWorkingFolderGivesTheLogPorts() throws Exception {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        Cli.Result r = new Cli(dir).run("status", "-o", "json", "--timeout", "2");
        assertEquals(List.of("127.0.0.1:19000", "127.0.0.1:19001"), endpointsAsked(r));
    }

    @Test
    void anExplicitConfigWinsOverTheVariable() throws Exception {
        Files.createDirectories(dir.resolve("elsewhere"));
        Files.writeString(dir.resolve("elsewhere/cluster.json"), CONFIG);
        Cli.Result r = new Cli(dir).env("KVCTL_ENDPOINTS", "127.0.0.1:29000")
                .run("status", "-o", "json", "--timeout", "2", "--config", "elsewhere/cluster.json");
        assertEquals(List.of("127.0.0.1:19000", "127.0.0.1:19001"), endpointsAsked(r));
    }

    @Test
    void anIpv6EndpointIsWrittenInBrackets() {
        Endpoint e = Endpoint.parse("[::1]:9000");
        assertEquals("::1", e.host());
        assertEquals(9000, e.port());
        assertEquals("[::1]:9000", e.toString());
        assertEquals(List.of(new Endpoint("a", 1), new Endpoint("b", 2)), Endpoint.parseList("a:1,,b:2,"));
    }

    @Test
    void noEndpointsAnywhereIsAUsageError() {
        CommandsTest.assertFails(ExitCodes.USAGE, new Cli(dir).run("get", "k"), "no endpoints");
    }

    @Test
    void aBadVariableIsAUsageErrorNamingIt() {
        CommandsTest.assertFails(ExitCodes.USAGE, new Cli(dir).env("KVCTL_ENDPOINTS", "localhost").run("get", "k"),
                "KVCTL_ENDPOINTS");
    }

    @Test
    void aBrokenConfigIsAUsageErrorNamingTheFile() throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"servers\": [ {\"Id\": 0, \"Hostname\": \"h\"} ]}");
        CommandsTest.assertFails(ExitCodes.USAGE, new Cli(dir).run("get", "k"), "config.json: servers[0].ClientPort");
        Files.writeString(dir.resolve("config.json"), "{ not json");
        CommandsTest.assertFails(ExitCodes.USAGE, new Cli(dir).run("get", "k"), "config.json: line 1");
    }

    @Test
    void textBenchTakesTheClientPortsAndIgnoresTheVariable() throws Exception {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        EndpointOptions options = new EndpointOptions();
        CliEnv env = CliEnv.of(System.in, System.out, System.err, java.util.Map.of("KVCTL_ENDPOINTS", "127.0.0.1:29000"), dir);
        assertEquals(List.of(Endpoint.parse("127.0.0.1:18000"), Endpoint.parse("127.0.0.1:18001")),
                options.textEndpoints(env).endpoints());
        assertEquals(List.of(Endpoint.parse("127.0.0.1:29000")), options.grpcEndpoints(env).endpoints());
    }
}
