package raftkv.wal;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import raftkv.raft.SnapshotMeta;

class WalContractTest extends RaftStorageContract {
    @TempDir
    Path dir;

    @Override
    RaftStorage fresh() {
        return Wal.open(dir, false, 4096);
    }

    @Override
    RaftStorage restart(RaftStorage closed, SnapshotMeta snapshot) {
        return Wal.open(dir, false, 4096, snapshot);
    }
}
