package raftkv.server;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link SignalFlagIT}: a Java SIGTERM handler that cannot finish until the
 * native flag has been seen, then the flag installed in front of it. Prints {@code ready}, waits
 * for SIGTERM, and exits 0 once it saw the flag and the Java handler ran after it (the signal was
 * handed on to the JVM); 3 if the flag cannot be installed, 4 if it never comes, 5 if the JVM's
 * handler never runs.
 */
public final class SignalFlagChild {
    private SignalFlagChild() {}

    @SuppressWarnings("sunapi")
    public static void main(String[] args) throws InterruptedException {
        CountDownLatch flagSeen = new CountDownLatch(1);
        CountDownLatch handlerRan = new CountDownLatch(1);
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
            try {
                flagSeen.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            handlerRan.countDown();
        });
        if (!SignalFlag.install()) {
            System.out.println("not installed");
            System.exit(3);
        }
        System.out.println("ready");
        System.out.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!SignalFlag.termReceived()) {
            if (System.nanoTime() > deadline) System.exit(4);
            Thread.onSpinWait();
        }
        flagSeen.countDown();
        System.exit(handlerRan.await(30, TimeUnit.SECONDS) ? 0 : 5);
    }
}
