package raftkv.wal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import raftkv.config.Limits;
import raftkv.kv.Command;
import raftkv.kv.CommandCodec;
import raftkv.kv.RequestId;
import raftkv.proto.KvRules;
import raftkv.raft.Entry;

/** SPEC 11: the cap on maxValueBytes is what one log record can carry, so no accepted write halts the leader. */
class MaxValueFitsTest {
    @Test
    void theLargestCommandTheConfigAllowsFitsOneLogRecord() {
        ByteString key = ByteString.copyFrom(new byte[250]);
        ByteString value = ByteString.copyFrom(new byte[Limits.MAX_VALUE_BYTES_CAP]);
        Command cas = new Command.Cas(key, Long.MAX_VALUE, value, KvRules.MAX_TTL_SECONDS, new RequestId(-1, -1));
        Entry entry = Entry.normal(Long.MAX_VALUE, Long.MAX_VALUE, CommandCodec.encode(cas, Long.MAX_VALUE));
        int length = RecordCodec.encode(new WalRecord.EntryRecord(entry)).remaining();
        assertTrue(length <= RecordCodec.FRAME_HEADER_BYTES + RecordCodec.MAX_LENGTH, "record of " + length + " bytes");
    }
}
