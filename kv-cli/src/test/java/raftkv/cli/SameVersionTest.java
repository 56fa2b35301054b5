package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import raftkv.server.BuildInfo;

/** kvctl --version and kv-server --version name the same build: version and git commit (SPEC 10). */
class SameVersionTest {
    @Test
    void kvctlAndTheServerReportTheSameVersionAndCommit() {
        assertNotEquals("unknown", VersionProvider.version());
        assertEquals(BuildInfo.version(), VersionProvider.version());
        assertEquals(BuildInfo.commit(), VersionProvider.commit());
    }
}
