package raftkv.gateway;

import com.google.protobuf.ByteString;

/**
 * One decoded item of a connection, from the moment it is decoded until its reply is written.
 * Owned by the connection's event loop thread; never shared.
 */
final class PendingCommand {
    final Decoded decoded;
    // Position in the connection's request order.
    final long seq;
    // Released by its KeyLanes lane: free to run as far as ordering goes (decode errors never are).
    boolean released;
    // Bytes of reply room reserved while it runs in KvApi.
    long reserved;
    // The outcome is known; reply is then what to write, null for noreply.
    boolean done;
    ByteString reply;
    // Bytes charged to the connection's budget: the value while in flight, then the reply.
    long bytes;

    PendingCommand(Decoded decoded, long seq) {
        this.decoded = decoded;
        this.seq = seq;
    }

    void finish(ByteString reply) {
        this.done = true;
        this.reply = decoded.noreply() ? null : reply;
    }
}
