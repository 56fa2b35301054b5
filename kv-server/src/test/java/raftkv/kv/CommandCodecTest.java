package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import raftkv.proto.KvRules;
import raftkv.proto.internal.CasCmd;
import raftkv.proto.internal.LogCommand;
import raftkv.proto.internal.SetCmd;
import raftkv.proto.internal.TickCmd;

/** The log entry format (internal.proto LogCommand): lossless, and strict on what it reads. */
class CommandCodecTest {
    private static final ByteString KEY = ByteString.copyFromUtf8("k");
    private static final ByteString BINARY = ByteString.copyFrom(new byte[] {0, '\r', '\n', (byte) 0xFF});

    @Test
    void everyCommandRoundTripsWithItsTimestamp() {
        List<Command> commands = List.of(
                new Command.Set(KEY, BINARY, 0, RequestId.NONE),
                new Command.Set(KEY, ByteString.EMPTY, KvRules.MAX_TTL_SECONDS, new RequestId(-7, 1)),
                new Command.Cas(KEY, Long.MAX_VALUE, BINARY, 300, new RequestId(Long.MIN_VALUE, -1)),
                new Command.Cas(KEY, 1, ByteString.EMPTY, 0, RequestId.NONE),
                new Command.Delete(KEY, new RequestId(42, 3)),
                new Command.Delete(KEY, RequestId.NONE),
                new Command.Tick());
        for (Command c : commands) {
            for (long ts : new long[] {0, 1_700_000_000_123L, Long.MAX_VALUE}) {
                assertEquals(new CommandCodec.Decoded(c, ts), CommandCodec.decode(CommandCodec.encode(c, ts)));
            }
        }
    }

    @Test
    void commandsRejectWhatTheLogCannotCarry() {
        assertThrows(IllegalArgumentException.class, () -> new Command.Set(KEY, BINARY, -1, RequestId.NONE));
        assertThrows(IllegalArgumentException.class,
                () -> new Command.Set(KEY, BINARY, KvRules.MAX_TTL_SECONDS + 1, RequestId.NONE));
        assertThrows(IllegalArgumentException.class, () -> new Command.Cas(KEY, 0, BINARY, 0, RequestId.NONE));
        assertThrows(IllegalArgumentException.class, () -> new Command.Delete(KEY, new RequestId(5, 0)));
        assertThrows(IllegalArgumentException.class, () -> new Command.Delete(KEY, new RequestId(0, 5)));
        assertThrows(NullPointerException.class, () -> new Command.Delete(KEY, null));
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.encode(new Command.Tick(), -1));
    }

    @Test
    void garbageThrowsAClearException() {
        assertMalformed(ByteString.copyFrom(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF}), "not a LogCommand");
        assertMalformed(ByteString.copyFromUtf8("set k 0 1\r\nv\r\n"), "");
        assertMalformed(ByteString.EMPTY, "holds no command");
        ByteString set = CommandCodec.encode(new Command.Set(KEY, BINARY, 5, RequestId.NONE), 10);
        assertMalformed(set.substring(0, set.size() - 1), "not a LogCommand");
    }

    @Test
    void randomBytesEitherDecodeOrThrowMalformedCommandException() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 5000; i++) {
            byte[] bytes = new byte[random.nextInt(40)];
            for (int j = 0; j < bytes.length; j++) {
                bytes[j] = (byte) random.nextInt(256);
            }
            ByteString data = ByteString.copyFrom(bytes);
            try {
                CommandCodec.Decoded d = CommandCodec.decode(data);
                // Whatever decodes must mean exactly one command: re-encoding it reads back the same.
                assertEquals(d, CommandCodec.decode(CommandCodec.encode(d.command(), d.timestampMs())));
            } catch (MalformedCommandException expected) {
                // the outcome for nearly every input
            }
        }
    }

    @Test
    void fieldsFromANewerVersionAreRefusedNotDropped() {
        UnknownFieldSet field111 = UnknownFieldSet.newBuilder()
                .addField(111, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();
        ByteString unknownTop = LogCommand.newBuilder().setTick(TickCmd.getDefaultInstance())
                .setUnknownFields(field111).build().toByteString();
        assertMalformed(unknownTop, "LogCommand has fields this version does not know: [111]");

        ByteString unknownNested = LogCommand.newBuilder()
                .setSet(SetCmd.newBuilder().setKey(KEY).setUnknownFields(field111)).build().toByteString();
        assertMalformed(unknownNested, "SetCmd has fields this version does not know: [111]");
    }

    @Test
    void outOfRangeFieldsAreRefused() {
        assertMalformed(LogCommand.newBuilder().setTimestampMs(-1).setTick(TickCmd.getDefaultInstance())
                .build().toByteString(), "timestamp_ms out of range: 18446744073709551615");
        assertMalformed(LogCommand.newBuilder().setClientId(9).setSequence(1).setTick(TickCmd.getDefaultInstance())
                .build().toByteString(), "a tick carries request id");
        assertMalformed(LogCommand.newBuilder().setClientId(9).setSet(SetCmd.newBuilder().setKey(KEY))
                .build().toByteString(), "invalid SET command: request_id is set but its client_id or sequence is 0");
        assertMalformed(LogCommand.newBuilder().setSet(SetCmd.newBuilder().setKey(KEY).setTtlSeconds(1L << 32))
                .build().toByteString(), "invalid SET command: ttl must be");
        assertMalformed(LogCommand.newBuilder().setCas(CasCmd.newBuilder().setKey(KEY))
                .build().toByteString(), "invalid CAS command: cas expected version must be >= 1");
    }

    private static void assertMalformed(ByteString data, String messagePart) {
        MalformedCommandException e = assertThrows(MalformedCommandException.class, () -> CommandCodec.decode(data));
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }
}
