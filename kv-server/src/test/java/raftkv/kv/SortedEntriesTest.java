package raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.pcollections.TreePMap;

/** The sorted run a restore builds its keys from. */
class SortedEntriesTest {
    private static final Comparator<String> REVERSED = Comparator.reverseOrder();

    private static SortedEntries<String, Integer> fill(List<String> keys) {
        SortedEntries<String, Integer> run = new SortedEntries<>(REVERSED);
        for (String k : keys) run.append(k, k.length());
        return run;
    }

    @Test
    void buildsTheSameTreePMapAsAddingOneByOne() {
        for (int n : new int[] {0, 1, 2, 3, 7, 100, 1_000}) {
            TreeMap<String, Integer> expected = new TreeMap<>(REVERSED);
            for (int i = 0; i < n; i++) expected.put("k" + i, i);
            SortedEntries<String, Integer> run = new SortedEntries<>(REVERSED);
            expected.forEach(run::append);

            TreePMap<String, Integer> built = TreePMap.fromSortedMap(run);
            assertEquals(expected, built);
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(built.keySet()), "order, n=" + n);
            assertEquals(REVERSED, built.comparator());
        }
    }

    @Test
    void refusesAKeyNotAboveTheLast() {
        SortedEntries<String, Integer> run = fill(List.of("c", "b"));
        assertThrows(IllegalArgumentException.class, () -> run.append("b", 1));
        assertThrows(IllegalArgumentException.class, () -> run.append("c", 1));
        assertThrows(NullPointerException.class, () -> run.append("a", null));
        assertEquals(List.of("c", "b"), List.copyOf(run.keySet()));
    }

    @Test
    void viewsAreThoseOfATreeMapAndReadOnly() {
        List<String> keys = List.of("g", "e", "c", "a");
        SortedEntries<String, Integer> run = fill(keys);
        TreeMap<String, Integer> tree = new TreeMap<>(REVERSED);
        keys.forEach(k -> tree.put(k, k.length()));

        assertEquals("g", run.firstKey());
        assertEquals("a", run.lastKey());
        for (String from : List.of("h", "g", "f", "a", "0")) {
            assertEquals(tree.tailMap(from), run.tailMap(from), "tail " + from);
            assertEquals(List.copyOf(tree.headMap(from).keySet()), List.copyOf(run.headMap(from).keySet()), "head " + from);
            for (String to : List.of("f", "c", "0")) {
                if (REVERSED.compare(from, to) <= 0) {
                    assertEquals(tree.subMap(from, to), run.subMap(from, to), from + ".." + to);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> run.subMap("a", "g"));
        SortedEntries<String, Integer> head = (SortedEntries<String, Integer>) run.headMap("c");
        assertThrows(UnsupportedOperationException.class, () -> head.append("d", 1));
        assertThrows(UnsupportedOperationException.class, () -> run.entrySet().iterator().remove());
        assertThrows(NoSuchElementException.class, () -> new SortedEntries<String, Integer>(REVERSED).firstKey());
    }
}
