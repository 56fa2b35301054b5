package raftkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftkv.config.ConfigJson.config;
import static raftkv.config.ConfigJson.localServers;
import static raftkv.config.ConfigJson.server;
import static raftkv.config.ConfigJson.withTopLevel;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10, item 6: the cluster id every peer message carries, from the config. */
class ClusterIdTest {
    @TempDir
    Path tmp;

    private long idOf(String json) {
        return ConfigLoader.parse(json, tmp).clusterId();
    }

    @Test
    void derivedFromTheInitialServersWhateverTheirOrderInTheFile() {
        long id = idOf(config("", localServers(3)));
        assertEquals(id, idOf(config("", server(2, "localhost", 8002, 9002), server(0, "localhost", 8000, 9000),
                server(1, "localhost", 8001, 9001))));
        // The other optional keys do not change it: every node's copy of the config need not agree on those.
        assertEquals(id, idOf(withTopLevel("\"heartbeatMs\": 50")));
        assertNotEquals(0, id);
    }

    @Test
    void anotherMembershipIsAnotherCluster() {
        long id = idOf(config("", localServers(3)));
        assertNotEquals(id, idOf(config("", localServers(5))));
        assertNotEquals(id, idOf(config("", server(0, "localhost", 8000, 9000), server(1, "localhost", 8001, 9001),
                server(2, "localhost", 8002, 9102))), "another LogPort");
        assertNotEquals(id, idOf(config("", server(0, "localhost", 8000, 9000), server(1, "localhost", 8001, 9001),
                server(7, "localhost", 8002, 9002))), "another id");
    }

    @Test
    void clusterNameReplacesTheMembership() {
        long named = idOf(withTopLevel("\"clusterName\": \"prod-eu\""));
        assertEquals(named, idOf(config("\"clusterName\": \"prod-eu\"", localServers(5))), "the servers no longer matter");
        assertNotEquals(named, idOf(withTopLevel("\"clusterName\": \"prod-us\"")));
        assertNotEquals(named, idOf(withTopLevel("")));
        assertEquals("prod-eu", ConfigLoader.parse(withTopLevel("\"clusterName\": \"prod-eu\""), tmp).clusterName());
        assertNull(ConfigLoader.parse(withTopLevel(""), tmp).clusterName());
        assertTrue(ConfigLoader.parse(withTopLevel("\"clusterName\": \"x\""), tmp).warnings().isEmpty(), "a known key");
    }

    @Test
    void anEmptyClusterNameIsAConfigError() {
        ConfigException e = assertThrows(ConfigException.class, () -> idOf(withTopLevel("\"clusterName\": \"\"")));
        assertTrue(e.getMessage().contains("clusterName"), e.getMessage());
    }
}
