package raftkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {

    private static final Path DATA = Path.of("/var/raftkv");

    @Test
    void serversAreSortedByIdAndImmutable() {
        List<ServerSpec> given = new ArrayList<>(List.of(
                new ServerSpec(3, "c", 1, 2), new ServerSpec(1, "a", 1, 2), new ServerSpec(2, "b", 1, 2)));

        ClusterConfig config = ClusterConfig.withDefaults(DATA, given);
        given.clear();

        assertEquals(List.of(1, 2, 3), config.servers().stream().map(ServerSpec::id).toList());
        assertThrows(UnsupportedOperationException.class, () -> config.servers().add(new ServerSpec(9, "z", 1, 2)));
        assertThrows(UnsupportedOperationException.class, () -> config.warnings().add("x"));
    }

    @Test
    void serverFindsById() {
        ClusterConfig config = ClusterConfig.withDefaults(DATA,
                List.of(new ServerSpec(10, "x", 8010, 9010), new ServerSpec(20, "y", 8020, 9020)));

        assertEquals("y:8020", config.server(20).clientAddress());
        assertEquals("x:9010", config.server(10).logAddress());
    }

    @Test
    void unknownIdIsAOneLineConfigException() {
        ClusterConfig config = ClusterConfig.withDefaults(DATA,
                List.of(new ServerSpec(4, "x", 1, 2), new ServerSpec(0, "x", 3, 4)));

        ConfigException e = assertThrows(ConfigException.class, () -> config.server(2));

        assertEquals("unknown --id 2: config has ids 0, 4", e.getMessage());
    }

    @Test
    void nodeDirIsUnderDataDir() {
        ClusterConfig config = ClusterConfig.withDefaults(DATA, List.of(new ServerSpec(7, "x", 1, 2)));

        assertEquals(Path.of("/var/raftkv/node-7"), config.nodeDir(7));
    }

    @Test
    void ipv6LiteralsAreBracketedInAddresses() {
        ServerSpec server = new ServerSpec(0, "::1", 8000, 9000);

        assertEquals("[::1]:8000", server.clientAddress());
        assertEquals("[::1]:9000", server.logAddress());
    }

    @Test
    void constructorRejectsWhatTheLoaderWouldHaveReported() {
        assertThrows(IllegalArgumentException.class, () -> ClusterConfig.withDefaults(DATA, List.of()));
        assertThrows(IllegalArgumentException.class, () -> ClusterConfig.withDefaults(DATA,
                List.of(new ServerSpec(1, "a", 1, 2), new ServerSpec(1, "b", 1, 2))));
    }

    @Test
    void configExceptionIsAlwaysOneLine() {
        ConfigException e = new ConfigException("a.json: cannot read: first\n  second\r\nthird");

        assertEquals("a.json: cannot read: first second third", e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
