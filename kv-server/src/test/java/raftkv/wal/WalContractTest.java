package raftkv.wal;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class WalContractTest extends RaftStorageContract {
    @TempDir
    Path dir;

    @Override
    RaftStorage fresh() {
        return Wal.open(dir, false, 4096);
    }

    @Override
    RaftStorage restart(RaftStorage closed) {
        return Wal.open(dir, false, 4096);
    }
}
