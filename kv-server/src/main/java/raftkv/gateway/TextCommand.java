package raftkv.gateway;

import com.google.protobuf.ByteString;

/**
 * A well-formed command of the text protocol (SPEC 4). Keys are 1 to 250 bytes without spaces or
 * control characters; numbers are non-negative; {@code exptime} is at most 4294967295 seconds.
 */
public sealed interface TextCommand extends Decoded {
    ByteString key();

    /** True for the commands that change the store. */
    boolean isWrite();

    @Override
    default boolean noreply() {
        return false;
    }

    /** {@code set <key> <exptime> <numbytes> [noreply]} followed by the value. */
    record Set(ByteString key, long exptime, ByteString value, boolean noreply) implements TextCommand {
        @Override
        public boolean isWrite() {
            return true;
        }
    }

    /** {@code cas <key> <exptime> <version> <numbytes> [noreply]} followed by the value. */
    record Cas(ByteString key, long exptime, long version, ByteString value, boolean noreply)
            implements TextCommand {
        @Override
        public boolean isWrite() {
            return true;
        }
    }

    /** {@code get <key>}. */
    record Get(ByteString key) implements TextCommand {
        @Override
        public boolean isWrite() {
            return false;
        }
    }

    /** {@code getm <key>}: the value with its version and seconds left to live. */
    record GetMeta(ByteString key) implements TextCommand {
        @Override
        public boolean isWrite() {
            return false;
        }
    }

    /** {@code delete <key>}. */
    record Delete(ByteString key) implements TextCommand {
        @Override
        public boolean isWrite() {
            return true;
        }
    }
}
