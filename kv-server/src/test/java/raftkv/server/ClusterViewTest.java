package raftkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.proto.kv.Member;
import raftkv.proto.kv.MemberListResponse;

/**
 * scripts/cluster's view of the cluster (issue 11): membership lives in the log, so the config's
 * servers are neither all the members nor only members.
 * Init: a config of nodes 0-2; the log has since added 3 and 4 (4 a learner) and removed 0.
 */
class ClusterViewTest {
    private static final ClusterConfig CONFIG = ClusterConfig.withDefaults(Path.of("data"), List.of(
            new ServerSpec(0, "127.0.0.1", 8000, 9000), new ServerSpec(1, "127.0.0.1", 8001, 9001),
            new ServerSpec(2, "127.0.0.1", 8002, 9002)));

    private static Member member(long id, boolean voter) {
        return Member.newBuilder().setId(id).setVoter(voter).setClientAddress("127.0.0.1:" + (8000 + id))
                .setPeerAddress("127.0.0.1:" + (9000 + id)).build();
    }

    private static final MemberListResponse NOW = MemberListResponse.newBuilder().setNodeId(1).setLeaderKnown(true)
            .setLeaderId(1).setMembershipIndex(40)
            .addMembers(member(1, true)).addMembers(member(2, true)).addMembers(member(3, true)).addMembers(member(4, false))
            .build();
    // A node that has not yet heard of the last change.
    private static final MemberListResponse OLDER = MemberListResponse.newBuilder().setNodeId(2).setMembershipIndex(30)
            .addMembers(member(0, true)).addMembers(member(1, true)).addMembers(member(2, true)).addMembers(member(3, true))
            .build();

    @Test
    void membersAddedThroughTheLogAreListedAndFormerMembersFollow() {
        Map<Long, MemberListResponse> answers = Map.of(1L, NOW, 2L, OLDER); // node 0 is down
        ClusterView view = ClusterView.of(CONFIG, s -> answers.get((long) s.id()));
        assertEquals(List.of(1L, 2L, 3L, 4L, 0L), List.copyOf(view.nodes().keySet()), "members first, then the config's others");
        assertEquals(Set.of(1L, 2L, 3L), view.voters(), "the newest membership (highest log index)");
        assertEquals(Set.of(4L), view.learners());
        assertEquals(new ServerSpec(4, "127.0.0.1", 8004, 9004), view.node(4), "the address the log gave it");
        assertTrue(view.member(4));
        assertFalse(view.member(0));
        assertEquals(2, view.quorum());
        assertEquals("membership (node 1's, from log entry 40): voters [1, 2, 3], learners [4]", view.describe());
    }

    @Test
    void membersTheConfigDoesNotNameAreAskedWhenTheConfigsNodesAreBehind() {
        // Only node 2 of the config answers, with an old membership; node 3, which it names, knows the newest.
        MemberListResponse fromThree = NOW.toBuilder().setNodeId(3).build();
        ClusterView view = ClusterView.of(CONFIG, s -> s.id() == 2 ? OLDER : s.id() == 3 ? fromThree : null);
        assertEquals(Set.of(1L, 2L, 3L), view.voters());
        assertEquals(3, view.source());
    }

    @Test
    void withNoNodeAnsweringTheConfigsServersAreTheVoters() {
        ClusterView view = ClusterView.of(CONFIG, s -> null);
        assertEquals(Set.of(0L, 1L, 2L), view.voters());
        assertEquals(-1, view.source());
        assertEquals(List.of(0L, 1L, 2L), List.copyOf(view.nodes().keySet()));
    }
}
