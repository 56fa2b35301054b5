package raftkv.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
    @Test
    void returnsOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();
        Await.until(Duration.ofSeconds(10), "the third poll", () -> polls.incrementAndGet() >= 3);
        assertEquals(3, polls.get());
    }

    @Test
    void failsNamingWhatItWaitedForOnceTheDeadlinePasses() {
        AssertionError e = assertThrows(AssertionError.class, () -> Await.until(Duration.ofMillis(30), "pigs to fly", () -> false));
        assertTrue(e.getMessage().contains("waiting for pigs to fly"), e.getMessage());
    }

    @Test
    void reportsTheLastValueSeen() {
        AtomicInteger n = new AtomicInteger();
        assertEquals(5, Await.until(Duration.ofSeconds(10), "five", n::incrementAndGet, v -> v == 5));
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until(Duration.ofMillis(30), "a negative number", () -> 7, v -> v < 0));
        assertTrue(e.getMessage().endsWith("last seen: 7"), e.getMessage());
    }

    @Test
    void holdsAnswersFalseAtTheDeadlineAndWhenInterrupted() {
        assertFalse(Await.holds(Duration.ofMillis(20), () -> false));
        Thread.currentThread().interrupt();
        try {
            assertFalse(Await.holds(Duration.ofSeconds(10), () -> false));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag is kept");
        } finally {
            Thread.interrupted();
        }
        assertTrue(Await.holds(Duration.ZERO, () -> true));
    }
}
