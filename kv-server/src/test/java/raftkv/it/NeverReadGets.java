package raftkv.it;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;

/**
 * The attacker of the never-read attack, in a process of its own as a real one would be: it opens
 * {@code channels} gRPC connections with the client's default settings and starts {@code calls}
 * Gets of {@code key} on each, never asking for a reply. Everything the node sends it piles up in
 * this process (its own memory and its own network threads), not in the process of the clients it
 * competes with. It prints one line once every call is started, and holds them until its standard
 * input closes or it is stopped.
 *
 * <p>{@code java raftkv.it.NeverReadGets HOST PORT CHANNELS CALLS KEY MAX_INBOUND_BYTES}
 */
public final class NeverReadGets {
    static final String STARTED = "never-read: started";

    private NeverReadGets() {}

    public static void main(String[] args) throws IOException {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int channelCount = Integer.parseInt(args[2]);
        int callsPerChannel = Integer.parseInt(args[3]);
        GetRequest get = GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(args[4])).build();
        int maxInbound = Integer.parseInt(args[5]);
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < channelCount; i++) {
            // The client's defaults: a growing flow-control window per call (BDP), so the node's replies
            // complete and pile up here, unread.
            ManagedChannel ch = NettyChannelBuilder.forAddress(host, port).usePlaintext().maxInboundMessageSize(maxInbound).build();
            channels.add(ch);
            for (int j = 0; j < callsPerChannel; j++) {
                ClientCall<GetRequest, GetResponse> call = ch.newCall(KeyValueGrpc.getGetMethod(),
                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.MINUTES));
                // Never request(): the client reads nothing.
                call.start(new ClientCall.Listener<>() {}, new Metadata());
                call.sendMessage(get);
                call.halfClose();
            }
        }
        System.out.println(STARTED + " " + channelCount * callsPerChannel + " calls on " + channelCount + " connections");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        while (in.readLine() != null) {
            // held until the parent closes our input
        }
        for (ManagedChannel ch : channels) ch.shutdownNow();
        System.exit(0);
    }

    /** A running attacker, stopped (by its pid) on close. */
    static final class Running implements AutoCloseable {
        private final Process process;

        private Running(Process process) {
            this.process = process;
        }

        /** Starts the attacker and returns once all its calls are started. */
        static Running start(Path log, String host, int port, int channels, int calls, String key, int maxInbound, long heldBytes)
                throws IOException {
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            // Room for everything the node may send it, so that it holds the replies as a client with
            // plenty of memory would, rather than failing its own allocations and dropping connections.
            long direct = heldBytes + (256L << 20);
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                    "-Xmx256m", "-XX:MaxDirectMemorySize=" + direct, "-XX:TieredStopAtLevel=1", "-cp", classpath,
                    NeverReadGets.class.getName(), host, Integer.toString(port), Integer.toString(channels),
                    Integer.toString(calls), key, Integer.toString(maxInbound));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
                String line = out.readLine();
                Abuse.check(line != null && line.startsWith(STARTED), "the never-read client did not start: " + line
                        + " (see " + log + ")");
                return new Running(p);
            } catch (IOException | RuntimeException | Error e) {
                p.destroyForcibly();
                throw e;
            }
        }

        @Override
        public void close() throws InterruptedException {
            try {
                process.getOutputStream().close();
            } catch (IOException e) {
                // it is stopped below anyway
            }
            if (!process.waitFor(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
