package raftkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.config.ConfigJson.config;
import static raftkv.config.ConfigJson.localServers;
import static raftkv.config.ConfigJson.server;
import static raftkv.config.ConfigJson.withTopLevel;

import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SPEC 3: a bad config fails with one line naming the file and the field. */
class ConfigValidationTest {

    private static final Path BASE = Path.of("/srv/raftkv");
    private static final String OK0 = server(0, "localhost", 8000, 9000);
    private static final String OK1 = server(1, "localhost", 8001, 9001);

    // --- servers ---

    @Test
    void serversMissing() {
        assertRejected("config.json: servers: missing", "{\"path\": \"data\"}");
    }

    @Test
    void serversKeyIsCaseSensitive() {
        assertRejected("config.json: servers: missing (found \"Servers\"; field names are case-sensitive)",
                "{\"Servers\": [" + OK0 + "]}");
    }

    @Test
    void serversEmpty() {
        assertRejected("config.json: servers: must be a non-empty array, got []", "{\"servers\": []}");
    }

    @Test
    void serversNotAnArray() {
        assertRejected("config.json: servers: must be a non-empty array, got {\"Id\":0,\"Hostname\":\"localhost\",\"Clien...",
                "{\"servers\": " + OK0 + "}");
    }

    @Test
    void serverEntryNotAnObject() {
        assertRejected("config.json: servers[1]: must be an object, got 5", config("", OK0, "5"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Id",
        "Hostname",
        "ClientPort",
        "LogPort",
    })
    void eachServerFieldIsRequired(String field) {
        String third = server(2, "localhost", 8002, 9002).replaceAll("\"" + field + "\": [^,}]+,? ?", "");

        assertRejected("config.json: servers[2]." + field + ": missing", config("", OK0, OK1, third));
    }

    @Test
    void serverFieldNamesAreCaseSensitive() {
        String lower = "{\"id\": 0, \"Hostname\": \"localhost\", \"ClientPort\": 8000, \"LogPort\": 9000}";

        assertRejected("config.json: servers[0].Id: missing (found \"id\"; field names are case-sensitive)",
                config("", lower));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "-1           | -1",
        "'\"0\"'      | '\"0\"'",
        "1.5          | 1.5",
        "1.0          | 1.0",
        "null         | null",
        "3000000000   | 3000000000",
    })
    void idMustBeANonNegativeInteger(String value, String shown) {
        String message = "config.json: servers[1].Id: must be a non-negative integer"
                + (value.equals("3000000000") ? " no larger than 2147483647" : "") + ", got " + shown;

        assertRejected(message, config("", OK0, OK1.replace("\"Id\": 1", "\"Id\": " + value)));
    }

    @Test
    void idZeroAndLargeIdsAreFine() {
        ClusterConfig config = parse(config("", server(0, "a", 1, 2), server(Integer.MAX_VALUE, "b", 1, 2)));

        assertEquals(Integer.MAX_VALUE, config.servers().get(1).id());
    }

    @Test
    void duplicateId() {
        String json = config("", OK0, OK1, server(2, "localhost", 8002, 9002), server(1, "localhost", 8003, 9003));

        assertRejected("config.json: servers[3].Id: duplicate id 1", json);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "'\"\"'           | '\"\"'",
        "'\" localhost\"' | '\" localhost\"'",
        "'\"local host\"' | '\"local host\"'",
        "'\"a\\nb\"'      | '\"a\\nb\"'",
        "7                | 7",
        "null             | null",
        "'[\"a\"]'        | '[\"a\"]'",
    })
    void hostnameMustBeANonEmptyString(String value, String shown) {
        String json = config("", OK0.replace("\"localhost\"", value));

        assertRejected("config.json: servers[0].Hostname: must be a host name or address, got " + shown, json);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "ClientPort | 0",
        "ClientPort | 65536",
        "ClientPort | -8000",
        "ClientPort | '\"8000\"'",
        "LogPort    | 9000.5",
        "LogPort    | true",
    })
    void portsMustBeIntegersFrom1To65535(String field, String value) {
        String entry = field.equals("ClientPort") ? OK1.replace("8001", value) : OK1.replace("9001", value);

        assertRejected("config.json: servers[1]." + field + ": must be an integer from 1 to 65535, got " + value,
                config("", OK0, entry));
    }

    @Test
    void extremePortsAreFine() {
        ServerSpec server = parse(config("", server(0, "localhost", 1, 65535))).server(0);

        assertEquals(1, server.clientPort());
        assertEquals(65535, server.logPort());
    }

    @Test
    void httpPortIsOptionalAndChecked() {
        assertEquals(ServerSpec.NO_HTTP, parse(config("", OK0)).server(0).httpPort());
        String withHttp = OK0.replace("\"LogPort\": 9000", "\"LogPort\": 9000, \"HttpPort\": 7000");
        assertEquals(7000, parse(config("", withHttp)).server(0).httpPort());
        assertRejected("config.json: servers[0].HttpPort: must be an integer from 1 to 65535, got 0",
                config("", OK0.replace("\"LogPort\": 9000", "\"LogPort\": 9000, \"HttpPort\": 0")));
        assertRejected("config.json: servers[1].HttpPort: 9000 is already used by servers[0].LogPort on localhost",
                config("", OK0, OK1.replace("\"LogPort\": 9001", "\"LogPort\": 9001, \"HttpPort\": 9000")));
    }

    @Test
    void clientPortTakenByAnotherServersLogPort() {
        assertRejected("config.json: servers[1].ClientPort: 9000 is already used by servers[0].LogPort on localhost",
                config("", OK0, server(1, "localhost", 9000, 9001)));
    }

    @Test
    void logPortTakenByAnotherServersLogPort() {
        assertRejected("config.json: servers[2].LogPort: 9001 is already used by servers[1].LogPort on localhost",
                config("", OK0, OK1, server(2, "localhost", 8002, 9001)));
    }

    @Test
    void oneServersTwoPortsMustDiffer() {
        assertRejected("config.json: servers[0].LogPort: 8000 is already used by servers[0].ClientPort on localhost",
                config("", server(0, "localhost", 8000, 8000)));
    }

    @Test
    void localhostAnd127001AreTheSameHost() {
        assertRejected("config.json: servers[1].ClientPort: 8000 is already used by servers[0].ClientPort"
                        + " on localhost (the same host as 127.0.0.1)",
                config("", OK0, server(1, "127.0.0.1", 8000, 9001)));
    }

    @Test
    void hostsCompareCaseInsensitively() {
        assertRejected("config.json: servers[1].LogPort: 9000 is already used by servers[0].LogPort"
                        + " on localhost (the same host as LocalHost)",
                config("", OK0, server(1, "LocalHost", 8001, 9000)));
    }

    // SPEC 3: nodes told apart by address, as on real hosts, may all use the same ports.
    @Test
    void distinctLoopbackAddressesMayShareEveryPort() {
        String[] servers = IntStream.rangeClosed(1, 5)
                .mapToObj(i -> server(i - 1, "127.0.0." + i, 8000, 9000)).toArray(String[]::new);

        ClusterConfig config = parse(config("", servers));

        assertEquals(5, config.servers().size());
        assertEquals("127.0.0.5:8000", config.server(4).clientAddress());
        assertEquals("127.0.0.5:9000", config.server(4).logAddress());
    }

    @Test
    void samePortOnDifferentHostNamesIsFine() {
        assertEquals(2, parse(config("", server(0, "a.example", 8000, 9000), server(1, "b.example", 8000, 9000)))
                .servers().size());
    }

    // --- optional top-level keys ---

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "heartbeatMs       | '\"abc\"'",
        "heartbeatMs       | 0",
        "electionTimeoutMs | -1",
        "electionTimeoutMs | 1500.0",
        "requestTimeoutMs  | null",
        "requestTimeoutMs  | '\"15000\"'",
        "maxValueBytes     | 0",
        "maxValueBytes     | true",
        "snapshotEntries   | -100",
        "snapshotEntries   | '{}'",
        "walSegmentBytes   | 0",
        "quotaBytes        | 0",
        "quotaBytes        | '\"1g\"'",
        "quotaBytes        | 1.5",
        "maxSessions       | -1",
        "maxConnections    | 0",
        "textBufferBytes   | false",
        "inflightBytes     | 0",
        "catchUpLogBytes   | -5",
        "diskReserveBytes  | '\"4m\"'",
    })
    void tuningKeysMustBePositiveIntegers(String key, String value) {
        assertRejected("config.json: " + key + ": must be a positive integer, got " + value,
                withTopLevel("\"" + key + "\": " + value));
    }

    @Test
    void tuningKeysMustFitAnInt() {
        assertRejected("config.json: maxValueBytes: must be a positive integer no larger than 2147483647,"
                + " got 4294967296", withTopLevel("\"maxValueBytes\": 4294967296"));
    }

    @Test
    void maxValueBytesIsCappedAtWhatALogRecordCarries() {
        assertRejected("config.json: maxValueBytes: must be at most 267386880 (255 MiB: a value travels in one log record,"
                + " and the log takes records of up to 256 MiB), got 267386881",
                withTopLevel("\"maxValueBytes\": 267386881"));
        assertEquals(Limits.MAX_VALUE_BYTES_CAP, parse(withTopLevel("\"maxValueBytes\": 267386880")).maxValueBytes());
    }

    @Test
    void theTextBufferBudgetHoldsAtLeastOneValue() {
        assertRejected("config.json: textBufferBytes: must be at least maxValueBytes (1048576), got 1048575",
                withTopLevel("\"textBufferBytes\": 1048575"));
    }

    @Test
    void theInflightBudgetHoldsAtLeastOneValue() {
        assertRejected("config.json: inflightBytes: must be at least maxValueBytes (1048576), got 1048575",
                withTopLevel("\"inflightBytes\": 1048575"));
    }

    @Test
    void quotaBytesMayExceedAnInt() {
        assertEquals(8L << 30, parse(withTopLevel("\"quotaBytes\": 8589934592")).limits().quotaBytes());
    }

    @Test
    void walSegmentsMustHoldMoreThanTheirHeader() {
        assertRejected("config.json: walSegmentBytes: must be at least 65536, got 65535",
                withTopLevel("\"walSegmentBytes\": 65535"));
        assertEquals(65536, parse(withTopLevel("\"walSegmentBytes\": 65536")).walSegmentBytes());
    }

    @Test
    void heartbeatMustBeShorterThanElectionTimeout() {
        assertRejected("config.json: heartbeatMs: must be less than electionTimeoutMs (1000), got 1000",
                withTopLevel("\"heartbeatMs\": 1000"));
        assertRejected("config.json: heartbeatMs: must be less than electionTimeoutMs (50), got 100",
                withTopLevel("\"electionTimeoutMs\": 50"));
        assertEquals(999, parse(withTopLevel("\"heartbeatMs\": 999")).heartbeatMs());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "fsync   | '\"yes\"'",
        "fsync   | 1",
        "forward | '\"true\"'",
        "forward | null",
        "testFaultInjection | '\"true\"'",
        "testFaultInjection | 1",
    })
    void switchesMustBeBooleans(String key, String value) {
        assertRejected("config.json: " + key + ": must be true or false, got " + value,
                withTopLevel("\"" + key + "\": " + value));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "5",
        "'\"\"'",
        "'\" data\"'",
        "'\"da\\nta\"'",
        "'[\"data\"]'",
        "null",
    })
    void pathMustBeANonEmptyFolderPath(String value) {
        assertRejected("config.json: path: must be a non-empty folder path, got " + value,
                withTopLevel("\"path\": " + value));
    }

    @Test
    void pathWithAControlCharacter() {
        assertRejected("config.json: path: must be a non-empty folder path, got \"bad\\u0000name\"",
                withTopLevel("\"path\": \"bad\\u0000name\""));
    }

    // --- syntax ---

    @Test
    void syntaxErrorGivesLineAndColumnAndOnlyJacksonsShortReason() {
        String json = "{\n  \"servers\": [\n    {\"Id\": 0 \"Hostname\": \"localhost\"}\n  ]\n}";

        ConfigException e = reject(json);

        assertTrue(e.getMessage().startsWith("config.json: line 3 column 14: Unexpected character ('\"'"),
                e.getMessage());
        assertFalse(e.getMessage().contains("Source"), e.getMessage());
    }

    @Test
    void duplicateKeyIsAnError() {
        String json = "{\"servers\": [\n  {\"Id\": 0, \"Id\": 1, \"Hostname\": \"h\", \"ClientPort\": 1, \"LogPort\": 2}\n]}";

        assertRejected("config.json: line 2 column 17: Duplicate field 'Id'", json);
    }

    @Test
    void duplicateTopLevelKeyIsAnError() {
        assertRejected("config.json: line 1 column 22: Duplicate field 'path'",
                withTopLevel("\"path\": \"a\", \"path\": \"b\"").replace("\n", " ").strip());
    }

    @Test
    void unterminatedFile() {
        ConfigException e = reject("{\"servers\": [" + OK0);

        assertTrue(e.getMessage().startsWith("config.json: line 1 column "), e.getMessage());
    }

    @Test
    void trailingGarbageIsAnError() {
        ConfigException e = reject(withTopLevel("") + "{}");

        assertTrue(e.getMessage().startsWith("config.json: line "), e.getMessage());
    }

    @Test
    void emptyText() {
        assertRejected("config.json: empty, expected a JSON object", "  // nothing here\n");
    }

    @Test
    void topLevelMustBeAnObject() {
        assertRejected("config.json: must hold a JSON object, got [{\"Id\":0,\"Hostname\":\"localhost\",\"Clie...",
                "[" + OK0 + "]");
    }

    @Test
    void longValuesAreCutShortInMessages() {
        String longHost = "h".repeat(200);

        assertRejected("config.json: servers[0].ClientPort: must be an integer from 1 to 65535, got \""
                        + "h".repeat(36) + "...",
                config("", OK0.replace("8000", "\"" + longHost + "\"")));
    }

    @Test
    void unknownIdNamesTheKnownIds() {
        ClusterConfig config = parse(config("", localServers(5)));

        ConfigException e = assertThrows(ConfigException.class, () -> config.server(5));

        assertEquals("unknown --id 5: config has ids 0, 1, 2, 3, 4", e.getMessage());
    }

    private static ClusterConfig parse(String json) {
        return ConfigLoader.parse(json, BASE);
    }

    private static ConfigException reject(String json) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(json, BASE));
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\r"),
                () -> "not one line: " + e.getMessage());
        return e;
    }

    private static void assertRejected(String message, String json) {
        assertEquals(message, reject(json).getMessage());
    }
}
