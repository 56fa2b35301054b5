package raftkv.node;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import raftkv.raft.Message;
import raftkv.transport.Transport;

/**
 * Peer traffic from the transport's threads into the node's inbox. A node that has gone silent
 * (graceful stop, SPEC 2) refuses here, on the transport's thread, so nothing it queued counts; an
 * overloaded inbox refuses a request (the peer retries) and drops a response (Raft resends).
 */
final class PeerInbound implements Transport.Inbound {
    private final NodeStep step;
    private final NodeInbox inbox;
    private final BooleanSupplier running;

    PeerInbound(NodeStep step, NodeInbox inbox, BooleanSupplier running) {
        this.step = step;
        this.inbox = inbox;
        this.running = running;
    }

    @Override
    public void onRequest(Message request, Consumer<Message> reply) {
        if (step.silent()) step.refuseWhileSilent(request, reply);
        else if (!inbox.offerPeer(new NodeEvent.PeerRequest(request, reply))) reply.accept(null);
    }

    @Override
    public void onResponse(Message response) {
        if (!step.silent()) inbox.offerPeer(new NodeEvent.PeerResponse(response));
    }

    @Override
    public void onSnapshot(Message.SnapshotRequest request, Path file, Consumer<Message> reply) {
        // Read here, on the transport's thread: the node thread only swaps the machine in.
        Optional<SnapshotKeeper.Received> received = SnapshotKeeper.receive(step.id(), request, file);
        if (received.isEmpty() || !running.getAsBoolean() || step.silent()
                || !inbox.offerPeer(new NodeEvent.PeerSnapshot(request, received.get(), reply))) {
            SnapshotKeeper.discard(file);
            reply.accept(null);
        }
    }
}
