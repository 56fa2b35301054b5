package raftkv.gateway;

import com.google.protobuf.ByteString;

/**
 * One decoded item of a connection, from the moment it is decoded until its reply is written.
 * Owned by the connection's event loop thread; never shared.
 */
final class PendingCommand {
    final Decoded decoded;
    // Dispatched to KvApi (decode errors never are).
    boolean started;
    // The outcome is known; reply is then what to write, null for noreply.
    boolean done;
    ByteString reply;
    // Bytes charged to the connection's budget: the value while in flight, then the reply.
    long bytes;

    PendingCommand(Decoded decoded) {
        this.decoded = decoded;
    }

    void finish(ByteString reply) {
        this.done = true;
        this.reply = decoded.noreply() ? null : reply;
    }
}
