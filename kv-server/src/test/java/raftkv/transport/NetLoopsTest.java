package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link NetLoops#execute}: the forwarding streams send their batches with it. */
class NetLoopsTest {
    private static String take(BlockingQueue<String> q) throws InterruptedException {
        String s = q.poll(10, TimeUnit.SECONDS);
        if (s == null) throw new AssertionError("nothing ran within 10 s");
        return s;
    }

    @Test
    void fromOutsideTheTaskRunsOnANetworkThread() throws InterruptedException {
        BlockingQueue<String> ran = new LinkedBlockingQueue<>();
        NetLoops.execute(() -> ran.add(Thread.currentThread().getName()));
        String thread = take(ran);
        assertTrue(thread.startsWith("raftkv-net-"), thread);
    }

    @Test
    void fromANetworkThreadTheTaskRunsThereAfterWhatTheThreadIsDoing() throws InterruptedException {
        // What the caller does after handing the task on (reading more commands, say) comes first,
        // on the same thread: commands read in one wake-up then go in one batch.
        List<String> order = new CopyOnWriteArrayList<>();
        BlockingQueue<String> done = new LinkedBlockingQueue<>();
        NetLoops.execute(() -> {
            String caller = Thread.currentThread().getName();
            NetLoops.execute(() -> {
                order.add("task");
                done.add(Thread.currentThread().getName().equals(caller) ? "same thread" : "other thread");
            });
            order.add("caller goes on");
        });
        assertEquals("same thread", take(done));
        assertEquals(List.of("caller goes on", "task"), order);
    }
}
