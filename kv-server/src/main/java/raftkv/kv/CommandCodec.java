package raftkv.kv;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.zip.CRC32C;
import raftkv.proto.internal.CasCmd;
import raftkv.proto.internal.DeleteCmd;
import raftkv.proto.internal.LogCommand;
import raftkv.proto.internal.SetCmd;
import raftkv.proto.internal.TickCmd;

/**
 * Maps {@link Command}s to and from the data of a NORMAL log entry ({@code LogCommand} in
 * internal.proto). Strict on decode: anything this version cannot read completely (not
 * protobuf, no command, fields it does not know, values out of range) throws
 * {@link MalformedCommandException}, because applying part of an entry, or skipping it, would
 * let replicas diverge.
 */
public final class CommandCodec {
    private CommandCodec() {}

    /** A command read from a log entry, with the proposing leader's clock. */
    public record Decoded(Command command, long timestampMs) {
        public Decoded {
            Objects.requireNonNull(command, "command");
        }
    }

    /** Encodes {@code command} as stamped by the leader at {@code timestampMs} (>= 0). */
    public static ByteString encode(Command command, long timestampMs) {
        Objects.requireNonNull(command, "command");
        if (timestampMs < 0) throw new IllegalArgumentException("negative timestamp " + timestampMs);
        RequestId id = command.requestId();
        LogCommand.Builder b = LogCommand.newBuilder()
                .setTimestampMs(timestampMs)
                .setClientId(id.clientId())
                .setSequence(id.sequence());
        if (command instanceof Command.Set s) {
            b.setSet(SetCmd.newBuilder().setKey(s.key()).setValue(s.value()).setTtlSeconds(s.ttlSeconds()));
        } else if (command instanceof Command.Cas c) {
            b.setCas(CasCmd.newBuilder().setKey(c.key()).setExpectedVersion(c.expectedVersion())
                    .setValue(c.value()).setTtlSeconds(c.ttlSeconds()));
        } else if (command instanceof Command.Delete d) {
            b.setDelete(DeleteCmd.newBuilder().setKey(d.key()));
        } else if (command instanceof Command.Tick) {
            b.setTick(TickCmd.getDefaultInstance());
        } else {
            throw new IllegalArgumentException("unknown command " + command);
        }
        return b.build().toByteString();
    }

    /**
     * What identifies a write for exactly-once retries ({@link Sessions}): a CRC-32C over its kind
     * and fields (key, value, ttl, expected version; not the request id, not the leader's
     * timestamp), as an unsigned 32-bit number. A retry of the same command has the same
     * fingerprint whichever leader proposes it. Computed from the fields rather than from an
     * encoding, so a large value is read once and never copied.
     */
    public static long fingerprint(Command command) {
        CRC32C crc = new CRC32C();
        if (command instanceof Command.Set s) {
            crc.update(1);
            bytes(crc, s.key());
            bytes(crc, s.value());
            number(crc, s.ttlSeconds());
        } else if (command instanceof Command.Cas c) {
            crc.update(2);
            bytes(crc, c.key());
            bytes(crc, c.value());
            number(crc, c.ttlSeconds());
            number(crc, c.expectedVersion());
        } else if (command instanceof Command.Delete d) {
            crc.update(3);
            bytes(crc, d.key());
        } else {
            throw new IllegalArgumentException("only writes have a fingerprint: " + command);
        }
        return crc.getValue();
    }

    // Length first, so that ("ab", "c") and ("a", "bc") differ.
    private static void bytes(CRC32C crc, ByteString b) {
        number(crc, b.size());
        for (ByteBuffer part : b.asReadOnlyByteBufferList()) crc.update(part);
    }

    private static void number(CRC32C crc, long n) {
        for (int shift = 0; shift < 64; shift += 8) crc.update((int) (n >>> shift));
    }

    /** Decodes a NORMAL entry's data; throws {@link MalformedCommandException} if it is not one. */
    public static Decoded decode(ByteString data) {
        Objects.requireNonNull(data, "data");
        LogCommand cmd;
        try {
            cmd = LogCommand.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new MalformedCommandException("not a LogCommand (" + data.size() + " bytes): " + e.getMessage(), e);
        }
        rejectUnknownFields(cmd, "LogCommand");
        long timestampMs = cmd.getTimestampMs();
        if (timestampMs < 0) {
            throw new MalformedCommandException("timestamp_ms out of range: " + Long.toUnsignedString(timestampMs));
        }
        RequestId id = new RequestId(cmd.getClientId(), cmd.getSequence());
        try {
            Command command = switch (cmd.getCommandCase()) {
                case SET -> {
                    SetCmd s = rejectUnknownFields(cmd.getSet(), "SetCmd");
                    yield new Command.Set(s.getKey(), s.getValue(), s.getTtlSeconds(), id);
                }
                case CAS -> {
                    CasCmd c = rejectUnknownFields(cmd.getCas(), "CasCmd");
                    yield new Command.Cas(c.getKey(), c.getExpectedVersion(), c.getValue(), c.getTtlSeconds(), id);
                }
                case DELETE -> new Command.Delete(rejectUnknownFields(cmd.getDelete(), "DeleteCmd").getKey(), id);
                case TICK -> {
                    rejectUnknownFields(cmd.getTick(), "TickCmd");
                    if (!id.isNone()) throw new MalformedCommandException("a tick carries request id " + id);
                    yield new Command.Tick();
                }
                case COMMAND_NOT_SET -> throw new MalformedCommandException(
                        "LogCommand holds no command (" + data.size() + " bytes)");
            };
            return new Decoded(command, timestampMs);
        } catch (IllegalArgumentException e) {
            // A field out of the range Command allows (ttl, version, half a request id).
            throw new MalformedCommandException("invalid " + cmd.getCommandCase() + " command: " + e.getMessage(), e);
        }
    }

    // Fields this version does not know would be dropped silently, and with them whatever a newer
    // version meant by them: refuse instead.
    private static <M extends Message> M rejectUnknownFields(M message, String type) {
        UnknownFieldSet unknown = message.getUnknownFields();
        if (!unknown.asMap().isEmpty()) {
            throw new MalformedCommandException(type + " has fields this version does not know: "
                    + unknown.asMap().keySet());
        }
        return message;
    }
}
