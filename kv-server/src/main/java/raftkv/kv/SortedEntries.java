package raftkv.kv;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;

/**
 * A sorted map over a list, filled in key order: what a restore reads from a snapshot, handed to
 * {@link org.pcollections.TreePMap#fromSortedMap}, which builds a balanced tree from the ordered
 * entries in O(n). Adding a million keys one by one would take O(n log n) and copy a path of the
 * tree for each; through a TreeMap, much the same. Lookups are linear: it is meant to be
 * iterated.
 */
final class SortedEntries<K, V> extends AbstractMap<K, V> implements SortedMap<K, V> {
    private final Comparator<? super K> comparator;
    // Invariant: keys strictly increasing by comparator; no null key or value.
    private final List<Map.Entry<K, V>> entries;

    SortedEntries(Comparator<? super K> comparator) {
        this(comparator, new ArrayList<>());
    }

    private SortedEntries(Comparator<? super K> comparator, List<Map.Entry<K, V>> entries) {
        this.comparator = Objects.requireNonNull(comparator, "comparator");
        this.entries = entries;
    }

    /**
     * Adds a mapping after every other.
     *
     * @throws IllegalArgumentException unless {@code key} is above every key held
     * @throws UnsupportedOperationException on a view made by subMap, headMap or tailMap
     */
    void append(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (!entries.isEmpty() && comparator.compare(lastKey(), key) >= 0) {
            throw new IllegalArgumentException("key appended out of order");
        }
        entries.add(new AbstractMap.SimpleImmutableEntry<>(key, value));
    }

    @Override
    public Comparator<? super K> comparator() {
        return comparator;
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<K, V>> iterator() {
                return Collections.unmodifiableList(entries).iterator();
            }

            @Override
            public int size() {
                return entries.size();
            }
        };
    }

    @Override
    public K firstKey() {
        if (entries.isEmpty()) throw new NoSuchElementException();
        return entries.get(0).getKey();
    }

    @Override
    public K lastKey() {
        if (entries.isEmpty()) throw new NoSuchElementException();
        return entries.get(entries.size() - 1).getKey();
    }

    @Override
    public SortedMap<K, V> subMap(K fromKey, K toKey) {
        if (comparator.compare(fromKey, toKey) > 0) throw new IllegalArgumentException("fromKey > toKey");
        return view(ceilingIndex(fromKey), ceilingIndex(toKey));
    }

    @Override
    public SortedMap<K, V> headMap(K toKey) {
        return view(0, ceilingIndex(toKey));
    }

    @Override
    public SortedMap<K, V> tailMap(K fromKey) {
        return view(ceilingIndex(fromKey), entries.size());
    }

    // Read-only, so that an append cannot land in the middle of the list it views.
    private SortedEntries<K, V> view(int from, int to) {
        return new SortedEntries<>(comparator, Collections.unmodifiableList(entries.subList(from, to)));
    }

    /** The index of the first key at or above {@code key}; size() if none. */
    private int ceilingIndex(K key) {
        Objects.requireNonNull(key, "key");
        int low = 0;
        int high = entries.size();
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (comparator.compare(entries.get(mid).getKey(), key) < 0) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }
}
