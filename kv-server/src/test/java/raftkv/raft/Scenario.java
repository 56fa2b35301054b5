package raftkv.raft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import raftkv.raft.Fixtures.Opts;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.AppendResponse;
import raftkv.raft.Message.ReadIndexRequest;
import raftkv.raft.Message.ReadIndexResponse;
import raftkv.raft.Message.SnapshotRequest;
import raftkv.raft.Message.SnapshotResponse;
import raftkv.raft.Message.TimeoutNow;
import raftkv.raft.Message.VoteRequest;
import raftkv.raft.Message.VoteResponse;

/**
 * Runs one scenario script against a set of {@link TestNode}s and prints what each command
 * produced, in a stable text form that {@link ScenarioTest} compares with the script's golden
 * output. Nothing moves by itself: cores are ticked, stepped and drained only when a command says
 * so, and messages wait in their sender's outbox until delivered or dropped.
 *
 * <p>Commands (ids are node ids; {@code all} means every node, in id order):
 * <pre>
 * cluster 1 2 3 [prevote] [checkquorum] [election=10] [heartbeat=1] [maxentries=N] [inflight=N]
 * restore ID term=T [vote=V] [log=1,1,2]   restart node ID from this hard state and log
 * restart ID                                crash node ID and start it again from its disk
 * tick ID|all [N]                           N ticks (default 1), no Ready handled
 * campaign ID                               ticks ID until its election timer fires; prints that Ready
 * propose ID DATA | read-index ID RID | transfer ID TARGET | compact ID INDEX
 * step ID KIND from=F term=T ...            a hand-made message (see {@link #message})
 * ready ID|all                              handle each node's Ready: persist, send, apply, advance
 * deliver [from=F] [to=T]                   step the pending messages (one round)
 * drop [from=F] [to=T]                      lose the pending messages
 * isolate ID | heal                         messages to or from an isolated node are lost on delivery
 * stabilize                                 ready and deliver until nothing moves
 * status ID|all                             role, term, leader, vote, commit, applied, log terms
 * join ID                                   a new empty node outside the initial membership
 * member ID add-learner|add-voter|promote|remove NODE   a membership change proposed to node ID
 * members ID|all                            the membership each node uses, and its entry's index
 * </pre>
 */
final class Scenario {
    private final TreeMap<Long, TestNode> nodes = new TreeMap<>();
    private final Set<Long> isolated = new TreeSet<>();
    private Opts opts;
    private List<Long> ids;

    /** Runs one command line and returns its output lines. */
    List<String> run(String line) {
        List<String> words = new ArrayList<>(Arrays.asList(line.trim().split("\\s+")));
        String cmd = words.remove(0);
        List<String> out = new ArrayList<>();
        switch (cmd) {
            case "cluster" -> cluster(words);
            case "restore" -> restore(words);
            case "tick" -> {
                int n = words.size() > 1 ? Integer.parseInt(words.get(1)) : 1;
                for (TestNode node : targets(words.get(0))) for (int i = 0; i < n; i++) node.tick();
            }
            case "campaign" -> {
                // Tick and handle each Ready until one asks for votes (or, alone, wins at once); print that one.
                TestNode node = node(words.get(0));
                for (int i = 0; i < 3 * opts.electionTicks() && out.isEmpty(); i++) {
                    node.tick();
                    List<String> printed = readyOnce(node);
                    boolean campaigned = node.lastReady().messages().stream().anyMatch(m -> m instanceof VoteRequest)
                            || (node.lastReady().softState() != null && node.role() != Role.FOLLOWER);
                    while (node.core().hasCommittedToApply()) printed.addAll(readyOnce(node));
                    if (campaigned) out.addAll(printed);
                    else if (!printed.isEmpty()) throw new IllegalStateException("node " + node.id() + " did more than tick: " + printed);
                }
                if (out.isEmpty()) throw new IllegalStateException("node " + node.id() + " did not campaign");
            }
            case "propose" -> {
                ProposeResult r = node(words.get(0)).propose(words.get(1));
                out.add(r instanceof ProposeResult.Accepted a ? "accepted " + a.index() + "/" + a.term()
                        : "not leader, hint " + id(((ProposeResult.NotLeader) r).leaderHint()));
            }
            case "read-index" -> out.add(node(words.get(0)).readIndex(Long.parseLong(words.get(1))) ? "started" : "not leader");
            case "transfer" -> node(words.get(0)).transferLeadership(Long.parseLong(words.get(1)));
            case "compact" -> node(words.get(0)).compact(Long.parseLong(words.get(1)));
            case "step" -> {
                TestNode to = node(words.remove(0));
                Message m = message(words.remove(0), to.id(), args(words));
                out.add("step " + format(m) + result(to.core().step(m)));
            }
            case "ready" -> {
                for (TestNode node : targets(words.get(0))) out.addAll(ready(node));
            }
            case "deliver" -> out.addAll(deliver(filter(args(words))));
            case "drop" -> {
                for (TestNode node : nodes.values()) {
                    for (Message m : node.takeSent(filter(args(words)))) out.add("dropped " + format(m));
                }
            }
            case "restart" -> {
                // What it had not sent is lost with it; with keep=I, so are its log entries after I,
                // as when a leader that sends before its own write is synced (thesis 10.2.1) crashes.
                long id = Long.parseLong(words.get(0));
                Map<String, String> a = args(words.subList(1, words.size()));
                nodes.put(id, a.containsKey("keep") ? node(words.get(0)).restartKeeping(Long.parseLong(a.get("keep")))
                        : node(words.get(0)).restart());
            }
            case "isolate" -> isolated.add(Long.parseLong(words.get(0)));
            case "heal" -> isolated.clear();
            case "stabilize" -> out.addAll(stabilize());
            case "join" -> {
                long id = Long.parseLong(words.get(0));
                nodes.put(id, TestNode.fresh(opts.config(id, ids)));
            }
            case "member" -> out.add(membershipResult(node(words.get(0)).changeMembership(change(words.get(1), words.get(2)))));
            case "members" -> {
                for (TestNode node : targets(words.get(0))) {
                    out.add(node.id() + ": " + node.core().membership() + " at " + node.core().membershipIndex());
                }
            }
            case "status" -> {
                for (TestNode node : targets(words.get(0))) out.add(status(node));
            }
            default -> throw new IllegalArgumentException("unknown command: " + line);
        }
        return out;
    }

    // ---------------------------------------------------------------- commands

    private void cluster(List<String> words) {
        Map<String, String> a = args(words);
        ids = words.stream().filter(w -> !w.contains("=") && w.chars().allMatch(Character::isDigit)).map(Long::parseLong).toList();
        opts = Opts.PAPER.preVote(words.contains("prevote")).checkQuorum(words.contains("checkquorum"));
        opts = new Opts(Integer.parseInt(a.getOrDefault("election", "10")), Integer.parseInt(a.getOrDefault("heartbeat", "1")),
                opts.preVote(), opts.checkQuorum(), Integer.parseInt(a.getOrDefault("maxentries", "512")), 1 << 20,
                Integer.parseInt(a.getOrDefault("inflight", "256")));
        nodes.clear();
        isolated.clear();
        for (long id : ids) nodes.put(id, TestNode.fresh(opts.config(id, ids)));
    }

    private void restore(List<String> words) {
        long id = Long.parseLong(words.get(0));
        Map<String, String> a = args(words);
        List<Entry> log = new ArrayList<>();
        if (a.containsKey("log")) {
            long[] terms = Arrays.stream(a.get("log").split(",")).mapToLong(Long::parseLong).toArray();
            log = Fixtures.log(terms);
        }
        HardState hs = new HardState(Long.parseLong(a.get("term")), Long.parseLong(a.getOrDefault("vote", "-1")));
        nodes.put(id, TestNode.restored(opts.config(id, ids), hs, log));
    }

    /** Handles the node's Ready, and the next one while the sync let a leader commit its own entries (as NodeStep). */
    private List<String> ready(TestNode node) {
        List<String> out = readyOnce(node);
        while (node.core().hasCommittedToApply()) out.addAll(readyOnce(node));
        return out;
    }

    private List<String> readyOnce(TestNode node) {
        Ready r = node.ready();
        List<String> out = new ArrayList<>();
        if (r.isEmpty()) return out;
        String p = node.id() + " ready: ";
        if (r.softState() != null) {
            SoftState s = r.softState();
            out.add(p + "soft " + s.role() + " term=" + s.term() + " leader=" + id(s.leader()));
        }
        if (r.hardState() != null) out.add(p + "hard term=" + r.hardState().term() + " vote=" + id(r.hardState().votedFor()));
        if (r.snapshot() != null) out.add(p + "snapshot " + r.snapshot().index() + "/" + r.snapshot().term());
        if (!r.entries().isEmpty()) out.add(p + "entries " + entries(r.entries()));
        for (Message m : r.messages()) out.add(p + "send " + format(m));
        if (!r.committedEntries().isEmpty()) out.add(p + "commit " + entries(r.committedEntries()));
        for (ReadState rs : r.readStates()) out.add(p + "read rid=" + rs.requestId() + " index=" + rs.index());
        if (!r.droppedReads().isEmpty()) out.add(p + "dropped reads " + r.droppedReads());
        return out;
    }

    /** One round: every message pending now (not those sent in answer) goes to its addressee. */
    private List<String> deliver(Predicate<Message> which) {
        List<Message> batch = new ArrayList<>();
        for (TestNode node : nodes.values()) batch.addAll(node.takeSent(which));
        List<String> out = new ArrayList<>();
        for (Message m : batch) {
            if (isolated.contains(m.from()) || isolated.contains(m.to())) {
                out.add("lost " + format(m));
                continue;
            }
            out.add("deliver " + format(m) + result(nodes.get(m.to()).core().step(m)));
        }
        return out;
    }

    private List<String> stabilize() {
        List<String> out = new ArrayList<>();
        for (int round = 0; round < 1000; round++) {
            List<String> step = new ArrayList<>();
            for (TestNode node : nodes.values()) step.addAll(ready(node));
            step.addAll(deliver(m -> true));
            if (step.isEmpty()) return out;
            out.addAll(step);
        }
        throw new IllegalStateException("still moving after 1000 rounds");
    }

    private static String status(TestNode node) {
        Status s = node.status();
        return s.id() + ": " + s.role() + " term=" + s.term() + " leader=" + id(s.leader()) + " vote=" + id(s.votedFor())
                + " commit=" + s.commitIndex() + " applied=" + node.applied().stream().mapToLong(Entry::index).max().orElse(0)
                + " log=" + (s.firstIndex() > 1 ? "[snapshot " + (s.firstIndex() - 1) + "] " : "")
                + node.logTerms().stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static MembershipChange change(String kind, String node) {
        long id = Long.parseLong(node);
        Membership.Address address = new Membership.Address("127.0.0." + id, 8000 + (int) id, 9000 + (int) id);
        return switch (kind) {
            case "add-learner" -> new MembershipChange.AddLearner(id, address);
            case "add-voter" -> new MembershipChange.AddVoter(id, address);
            case "promote" -> new MembershipChange.Promote(id);
            case "remove" -> new MembershipChange.Remove(id);
            default -> throw new IllegalArgumentException("unknown membership change " + kind);
        };
    }

    private static String membershipResult(MembershipResult r) {
        if (r instanceof MembershipResult.Accepted a) return "accepted " + a.index() + "/" + a.term() + " " + a.membership();
        if (r instanceof MembershipResult.Refused f) return "refused: " + f.reason();
        return "not leader, hint " + id(((MembershipResult.NotLeader) r).leaderHint());
    }

    // ---------------------------------------------------------------- hand-made messages

    /**
     * {@code vote|prevote from=F term=T last=I/T [transfer]}, {@code voteresp|prevoteresp from=F term=T granted|rejected},
     * {@code app from=F term=T prev=I/T [entries=I/T,I/T] commit=C [seq=S]},
     * {@code appresp from=F term=T match=M} or {@code ... reject=I hint=I/T}, {@code snap from=F term=T snap=I/T},
     * {@code snapresp from=F term=T match=M}, {@code timeoutnow from=F term=T},
     * {@code readindex from=F term=T ctx=HEX}, {@code readindexresp from=F term=T ctx=HEX index=I|refused}.
     */
    private static Message message(String kind, long to, Map<String, String> a) {
        long from = Long.parseLong(a.get("from"));
        long term = Long.parseLong(a.get("term"));
        return switch (kind) {
            case "vote", "prevote" -> new VoteRequest(from, to, term, pair(a, "last")[0], pair(a, "last")[1],
                    kind.equals("prevote"), a.containsKey("transfer"));
            case "voteresp", "prevoteresp" -> new VoteResponse(from, to, term, a.containsKey("granted"), kind.equals("prevoteresp"));
            case "app" -> {
                List<Entry> entries = new ArrayList<>();
                if (a.containsKey("entries")) {
                    for (String e : a.get("entries").split(",")) {
                        long[] it = pair(e);
                        entries.add(Fixtures.entry(it[0], it[1]));
                    }
                }
                yield new AppendRequest(from, to, term, pair(a, "prev")[0], pair(a, "prev")[1], entries,
                        Long.parseLong(a.getOrDefault("commit", "0")), Long.parseLong(a.getOrDefault("seq", "0")));
            }
            case "appresp" -> a.containsKey("reject")
                    ? new AppendResponse(from, to, term, false, 0, Long.parseLong(a.get("reject")), pair(a, "hint")[0],
                            pair(a, "hint")[1], Long.parseLong(a.getOrDefault("seq", "0")))
                    : new AppendResponse(from, to, term, true, Long.parseLong(a.get("match")), 0, 0, 0,
                            Long.parseLong(a.getOrDefault("seq", "0")));
            case "snap" -> new SnapshotRequest(from, to, term, new SnapshotMeta(pair(a, "snap")[0], pair(a, "snap")[1]));
            case "snapresp" -> new SnapshotResponse(from, to, term, Long.parseLong(a.get("match")));
            case "timeoutnow" -> new TimeoutNow(from, to, term);
            case "readindex" -> new ReadIndexRequest(from, to, term, Long.parseUnsignedLong(a.get("ctx"), 16));
            case "readindexresp" -> a.containsKey("refused")
                    ? new ReadIndexResponse(from, to, term, Long.parseUnsignedLong(a.get("ctx"), 16), false, 0)
                    : new ReadIndexResponse(from, to, term, Long.parseUnsignedLong(a.get("ctx"), 16), true, Long.parseLong(a.get("index")));
            default -> throw new IllegalArgumentException("unknown message kind " + kind);
        };
    }

    // ---------------------------------------------------------------- formatting

    /** One message on one line: sender, addressee, kind, term, then what that kind carries. */
    static String format(Message m) {
        String head = m.from() + "->" + m.to() + " ";
        if (m instanceof VoteRequest v) {
            return head + (v.preVote() ? "PreVote" : "Vote") + " t" + v.term() + " last=" + v.lastLogIndex() + "/" + v.lastLogTerm()
                    + (v.transfer() ? " transfer" : "");
        } else if (m instanceof VoteResponse v) {
            return head + (v.preVote() ? "PreVoteResp" : "VoteResp") + " t" + v.term() + (v.granted() ? " granted" : " rejected");
        } else if (m instanceof AppendRequest a) {
            return head + "App t" + a.term() + " prev=" + a.prevLogIndex() + "/" + a.prevLogTerm()
                    + (a.entries().isEmpty() ? "" : " entries=" + entries(a.entries())) + " commit=" + a.leaderCommit()
                    + (a.readSeq() == 0 ? "" : " seq=" + a.readSeq());
        } else if (m instanceof AppendResponse a) {
            return head + "AppResp t" + a.term() + (a.success() ? " match=" + a.matchIndex()
                    : " reject=" + a.rejectedIndex() + " hint=" + a.hintIndex() + "/" + a.hintTerm())
                    + (a.readSeq() == 0 ? "" : " seq=" + a.readSeq());
        } else if (m instanceof SnapshotRequest s) {
            return head + "Snap t" + s.term() + " snap=" + s.snapshot().index() + "/" + s.snapshot().term()
                    + (s.membership() == null ? "" : " " + s.membership());
        } else if (m instanceof SnapshotResponse s) {
            return head + "SnapResp t" + s.term() + " match=" + s.matchIndex();
        } else if (m instanceof TimeoutNow t) {
            return head + "TimeoutNow t" + t.term();
        } else if (m instanceof ReadIndexRequest r) {
            return head + "ReadIndex t" + r.term() + " ctx=" + Long.toHexString(r.context());
        } else if (m instanceof ReadIndexResponse r) {
            return head + "ReadIndexResp t" + r.term() + " ctx=" + Long.toHexString(r.context())
                    + (r.granted() ? " index=" + r.index() : " refused");
        }
        throw new IllegalStateException("unknown message " + m);
    }

    /**
     * Entries as index/term, with a no-op marked and a proposed command's data quoted (not the
     * "index@term" data of the entries that {@code restore} makes up).
     */
    private static String entries(List<Entry> entries) {
        return entries.stream().map(e -> {
            String it = e.index() + "/" + e.term();
            if (e.type() == EntryType.NOOP) return it + "(noop)";
            if (e.type() == EntryType.CONFIG) return it + "(config " + MembershipCodec.decode(e.data()) + ")";
            String data = e.data().toStringUtf8();
            return data.equals(e.index() + "@" + e.term()) ? it : it + "\"" + data + "\"";
        }).collect(Collectors.joining(","));
    }

    private static String result(StepResult r) {
        return r instanceof StepResult.Refused f ? "  REFUSED: " + f.reason() : "";
    }

    private static String id(long id) {
        return id == RaftCore.NONE ? "none" : String.valueOf(id);
    }

    // ---------------------------------------------------------------- parsing

    private TestNode node(String id) {
        TestNode n = nodes.get(Long.parseLong(id));
        if (n == null) throw new IllegalArgumentException("no node " + id);
        return n;
    }

    private List<TestNode> targets(String idOrAll) {
        return idOrAll.equals("all") ? List.copyOf(nodes.values()) : List.of(node(idOrAll));
    }

    private static Map<String, String> args(List<String> words) {
        Map<String, String> a = new HashMap<>();
        for (String w : words) {
            int eq = w.indexOf('=');
            if (eq < 0) a.put(w, "");
            else a.put(w.substring(0, eq), w.substring(eq + 1));
        }
        return a;
    }

    private static Predicate<Message> filter(Map<String, String> a) {
        Predicate<Message> p = m -> true;
        if (a.containsKey("from")) {
            long from = Long.parseLong(a.get("from"));
            p = p.and(m -> m.from() == from);
        }
        if (a.containsKey("to")) {
            long to = Long.parseLong(a.get("to"));
            p = p.and(m -> m.to() == to);
        }
        return p;
    }

    private static long[] pair(Map<String, String> a, String key) {
        if (!a.containsKey(key)) throw new IllegalArgumentException("missing " + key + "=I/T");
        return pair(a.get(key));
    }

    private static long[] pair(String it) {
        String[] parts = it.split("/");
        return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
    }
}
