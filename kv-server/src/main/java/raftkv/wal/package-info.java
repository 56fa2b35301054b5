/**
 * Stable storage for one node: {@link raftkv.wal.RaftStorage}, the file log {@link raftkv.wal.Wal}
 * and its in-memory twin {@link raftkv.wal.MemoryStorage}, and the snapshot files
 * {@link raftkv.wal.SnapshotFiles}.
 *
 * <h2>On disk</h2>
 * A directory of segment files {@code 00000000000000000001.wal}, {@code ...02.wal}, ... (a
 * sequence number, 20 digits), plus {@code wal.lock}, held by the open {@code Wal}. A new
 * segment is started when the next record would take the current one past the size cap (64 MiB
 * by default); a record larger than the cap gets a segment of its own.
 *
 * <p>Every record is framed {@code [u32 length][u32 CRC-32C][u8 type][payload]}, integers
 * little-endian, where {@code length} counts the type byte and the payload, and the CRC
 * (Castagnoli, {@link java.util.zip.CRC32C}) covers the same bytes. Types:
 * <ul>
 *   <li>1, segment header, always first: magic {@code "RVKW"}, u16 format version (1), u64
 *       sequence number, u64 index and u64 term of the last entry when the segment was created;</li>
 *   <li>2, hard state: u64 term, i64 votedFor. Always second in a segment, so deleting older
 *       segments never loses it; the last one in the log wins;</li>
 *   <li>3, entry: u64 index, u64 term, u8 entry type (0 normal, 1 no-op), data to the end.
 *       An entry record first deletes every entry at or after its index: a follower's
 *       truncation is just an append, and nothing is rewritten in place;</li>
 *   <li>4, reset: u64 index, u64 term. The log restarts after that entry (a follower installed
 *       a snapshot its log did not cover): replaying it deletes every entry. The log writes one,
 *       syncs, starts a new segment whose header continues after the snapshot, then deletes
 *       every older segment, oldest first.</li>
 * </ul>
 *
 * <h2>Durability</h2>
 * Writes go through a buffer; {@code sync()} writes it out and forces the file (fdatasync).
 * A segment is forced before the next one is created, a new segment's header is forced at once,
 * the last segment is forced when the log is opened (recovery relied on what a crashed process
 * may have left in the page cache only), and the directory is forced when a segment is created
 * or deleted. {@code compact} syncs before deleting anything.
 *
 * <h2>Snapshots and compaction</h2>
 * Snapshot files live in a directory of their own ({@link raftkv.wal.SnapshotFiles}):
 * {@code snapshot-<index>-<term>.snap} (20 digits each), written to a temporary file, forced,
 * renamed, the directory forced. {@code compact(i)}, once a durable snapshot covers entry
 * {@code i}, deletes the oldest segments while every entry they hold that still counts is at
 * or below {@code i} (entries a later truncation or reset deleted do not count); {@code cut()}
 * starts a new segment so that the next compaction can free all that came before.
 *
 * <h2>Recovery</h2>
 * Segments are replayed in order. A damaged or incomplete record at the end of the <em>last</em>
 * segment, with no valid record anywhere after it, is a torn write: the file is cut there (a
 * WARN names the byte offset) and the node starts. Anything else is
 * {@link raftkv.wal.WalCorruptException}, with the files left as they are: damage followed by
 * valid records, any bad record in an earlier segment, a missing or misnamed segment, a segment
 * that does not continue the one before it, an index gap, or a record whose checksum matches
 * but whose content makes no sense.
 *
 * <p>The node then fits the log to its newest valid snapshot S (read first, and passed to
 * {@code Wal.open}): a log that starts after S (entries S.index+1.. are in neither) is a
 * {@link raftkv.wal.WalCorruptException}; a log that holds entry S.index with S's term recovers
 * the entries after it; any other log (it ends before S.index, or has another term there: a
 * crash between storing a leader's snapshot and the reset record) is restarted after S then.
 * Without a snapshot (S.index = 0) a log must start at entry 1; with one, a directory without any
 * segment is refused too (the hard state would be lost: a node's first open creates a segment).
 */
package raftkv.wal;
