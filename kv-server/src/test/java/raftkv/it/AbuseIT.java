package raftkv.it;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's abuse suite, with small counts: each attack against one live 3-node cluster on
 * 127.0.0.1, checked by {@link Abuse#attack}: nodes up, no election, the other client's p99 under
 * ten times normal, no acknowledged write lost. {@code scripts/abuse} runs the full sizes.
 */
class AbuseIT {
    @TempDir
    Path dir;

    @Test
    void everyAttackLeavesTheClusterUpServingAndWhole() throws Exception {
        try (Abuse abuse = Abuse.start(dir, Abuse.Sizes.forIt())) {
            abuse.runAll("");
        }
    }
}
