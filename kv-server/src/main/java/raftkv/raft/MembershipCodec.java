package raftkv.raft;

import com.google.protobuf.ByteString;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;

/**
 * The bytes of a {@link Membership}: the data of every {@link EntryType#CONFIG} log entry and the
 * membership a snapshot carries, on disk and on the wire alike (raft.proto and internal.proto
 * carry them as opaque bytes). Big-endian:
 * <pre>
 * u8 format (1 or 2), u32 count, then per member in ascending id order:
 *   i64 id, u8 kind (1 voter, 2 learner), u8 hasAddress (0 or 1),
 *   and if 1: u16 hostLength, host in UTF-8, u16 clientPort, u16 logPort
 * format 2 only, after the members: u32 retiredCount, then each retired id (i64), ascending
 * </pre>
 * A membership with no retired id is written in format 1, as before ids were retired. A reader
 * rejects anything else (unknown format or kind, ids not ascending, a retired member, trailing bytes).
 */
public final class MembershipCodec {
    private static final byte FORMAT = 1;
    private static final byte FORMAT_WITH_RETIRED = 2;
    private static final int MAX_RETIRED = 100_000;
    private static final int MAX_MEMBERS = 1000;

    private MembershipCodec() {}

    public static ByteString encode(Membership membership) {
        ByteString.Output out = ByteString.newOutput();
        ByteBuffer b = ByteBuffer.allocate(5);
        b.put(membership.retired().isEmpty() ? FORMAT : FORMAT_WITH_RETIRED).putInt(membership.members().size());
        out.write(b.array(), 0, 5);
        for (Membership.Member m : membership.members().values()) {
            byte[] host = m.address() == null ? new byte[0] : m.address().host().getBytes(StandardCharsets.UTF_8);
            ByteBuffer mb = ByteBuffer.allocate(10 + (m.address() == null ? 0 : 6 + host.length));
            mb.putLong(m.id()).put((byte) (m.voter() ? 1 : 2)).put((byte) (m.address() == null ? 0 : 1));
            if (m.address() != null) {
                mb.putShort((short) host.length).put(host)
                        .putShort((short) m.address().clientPort()).putShort((short) m.address().logPort());
            }
            out.write(mb.array(), 0, mb.position());
        }
        if (!membership.retired().isEmpty()) {
            ByteBuffer rb = ByteBuffer.allocate(4 + 8 * membership.retired().size());
            rb.putInt(membership.retired().size());
            for (long id : membership.retired()) rb.putLong(id);
            out.write(rb.array(), 0, rb.position());
        }
        return out.toByteString();
    }

    /** Decodes {@code data}; throws {@link IllegalArgumentException} naming what is wrong. */
    public static Membership decode(ByteString data) {
        ByteBuffer b = data.asReadOnlyByteBuffer();
        try {
            byte format = b.get();
            if (format != FORMAT && format != FORMAT_WITH_RETIRED) throw new IllegalArgumentException("membership: unknown format " + format);
            int count = b.getInt();
            if (count < 1 || count > MAX_MEMBERS) throw new IllegalArgumentException("membership: " + count + " members");
            TreeMap<Long, Membership.Member> members = new TreeMap<>();
            long previous = -1;
            for (int i = 0; i < count; i++) {
                long id = b.getLong();
                if (id <= previous) throw new IllegalArgumentException("membership: ids not ascending at " + id);
                previous = id;
                byte kind = b.get();
                if (kind != 1 && kind != 2) throw new IllegalArgumentException("membership: unknown kind " + kind);
                byte hasAddress = b.get();
                Membership.Address address = null;
                if (hasAddress == 1) {
                    byte[] host = new byte[Short.toUnsignedInt(b.getShort())];
                    b.get(host);
                    address = new Membership.Address(new String(host, StandardCharsets.UTF_8),
                            Short.toUnsignedInt(b.getShort()), Short.toUnsignedInt(b.getShort()));
                } else if (hasAddress != 0) {
                    throw new IllegalArgumentException("membership: bad address flag " + hasAddress);
                }
                members.put(id, new Membership.Member(id, kind == 1, address));
            }
            java.util.TreeSet<Long> retired = new java.util.TreeSet<>();
            if (format == FORMAT_WITH_RETIRED) {
                int n = b.getInt();
                if (n < 1 || n > MAX_RETIRED) throw new IllegalArgumentException("membership: " + n + " retired ids");
                long last = -1;
                for (int i = 0; i < n; i++) {
                    long id = b.getLong();
                    if (id <= last) throw new IllegalArgumentException("membership: retired ids not ascending at " + id);
                    if (members.containsKey(id)) throw new IllegalArgumentException("membership: node " + id + " both a member and retired");
                    last = id;
                    retired.add(id);
                }
            }
            if (b.hasRemaining()) throw new IllegalArgumentException("membership: " + b.remaining() + " trailing bytes");
            if (members.values().stream().noneMatch(Membership.Member::voter)) {
                throw new IllegalArgumentException("membership: no voter");
            }
            return new Membership(members, retired);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("membership: truncated");
        }
    }
}
