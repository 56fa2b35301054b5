/**
 * Stable storage for one node: {@link raftkv.wal.RaftStorage}, the file log {@link raftkv.wal.Wal}
 * and its in-memory twin {@link raftkv.wal.MemoryStorage}.
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
 *   <li>4 is kept for snapshot records.</li>
 * </ul>
 *
 * <h2>Durability</h2>
 * Writes go through a buffer; {@code sync()} writes it out and forces the file (fdatasync).
 * A segment is forced before the next one is created, a new segment's header is forced at once,
 * and the directory is forced when a segment is created or deleted.
 *
 * <h2>Recovery</h2>
 * Segments are replayed in order. A damaged or incomplete record at the end of the <em>last</em>
 * segment, with no valid record anywhere after it, is a torn write: the file is cut there (a
 * WARN names the byte offset) and the node starts. Anything else is
 * {@link raftkv.wal.WalCorruptException}, with the files left as they are: damage followed by
 * valid records, any bad record in an earlier segment, a missing or misnamed segment, a segment
 * that does not continue the one before it, an index gap, or a record whose checksum matches
 * but whose content makes no sense.
 */
package raftkv.wal;
