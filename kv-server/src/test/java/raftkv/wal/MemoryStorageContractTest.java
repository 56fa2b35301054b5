package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static raftkv.wal.WalFixtures.entry;
import static raftkv.wal.WalFixtures.hs;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.raft.HardState;

class MemoryStorageContractTest extends RaftStorageContract {
    @Override
    RaftStorage fresh() {
        return new MemoryStorage();
    }

    @Override
    RaftStorage restart(RaftStorage closed) {
        return ((MemoryStorage) closed).restart();
    }

    @Test
    void aCrashKeepsOnlyWhatWasSynced() {
        MemoryStorage s = new MemoryStorage();
        s.saveHardState(hs(1, 1));
        s.append(List.of(entry(1, 1)));
        s.sync();
        s.saveHardState(hs(2, -1));
        s.append(List.of(entry(2, 2)));
        MemoryStorage after = s.restart();
        assertEquals(hs(1, 1), after.recovered().hardState());
        assertEquals(List.of(entry(1, 1)), after.recovered().entries());
        assertEquals(HardState.INITIAL, new MemoryStorage().durableState().hardState());
    }
}
