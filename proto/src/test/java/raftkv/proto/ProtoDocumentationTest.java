package raftkv.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import raftkv.proto.ProtoDocLint.Finding;
import raftkv.proto.ProtoDocLint.Kind;
import raftkv.proto.ProtoDocLint.Result;
import raftkv.proto.internal.InternalProto;
import raftkv.proto.kv.KvProto;
import raftkv.proto.raft.RaftProto;
import raftkv.proto.testing.TestingProto;

/**
 * The .proto files are the contract a client author in any language reads, so every declaration
 * in them must say what it means. This test fails, naming file and line, for any that does not.
 */
class ProtoDocumentationTest {

  private static final Path PROTO_DIR =
      Path.of(System.getProperty("basedir", ".")).resolve("src/main/proto");

  // The compiled form of each file we know, to check that the lint sees every declaration protoc
  // sees. A new .proto file is linted without this; add it here to have it cross-checked too.
  private static final List<FileDescriptor> COMPILED =
      List.of(KvProto.getDescriptor(), RaftProto.getDescriptor(), InternalProto.getDescriptor(),
          TestingProto.getDescriptor());

  @Test
  void everyDeclarationInEveryProtoFileHasAComment() throws IOException {
    List<Path> files = protoFiles();
    assertTrue(files.size() >= 2, "expected kv.proto and raft.proto under " + PROTO_DIR);
    List<Finding> findings = new ArrayList<>();
    for (Path file : files) {
      findings.addAll(lint(file).findings());
    }
    assertTrue(findings.isEmpty(), () -> findings.size() + " undocumented declaration(s):\n"
        + findings.stream().map(Finding::toString).collect(Collectors.joining("\n")));
  }

  @Test
  void lintSeesEveryDeclarationThatProtocCompiled() throws IOException {
    for (FileDescriptor compiled : COMPILED) {
      Path file = PROTO_DIR.resolve(compiled.getName());
      assertEquals(countDeclarations(compiled), lint(file).counts(),
          "declarations found by the lint vs by protoc in " + compiled.getName());
    }
  }

  @Test
  void flagsEachKindOfDeclarationWithoutAComment() {
    List<String> lines = List.of(
        "syntax = \"proto3\";",
        "service S {",
        "  rpc Call(A) returns (B);",
        "}",
        "message A {",
        "  uint64 plain = 1;",
        "  repeated bytes many = 2;",
        "  map<string, A> by_name = 3;",
        "  oneof choice {",
        "    string text = 4;",
        "  }",
        "  enum Nested {",
        "    NESTED_UNSPECIFIED = 0;",
        "  }",
        "}",
        "enum E {",
        "  E_UNSPECIFIED = 0;",
        "}");
    Result result = ProtoDocLint.lint("x.proto", lines);
    assertEquals(List.of(2, 3, 5, 6, 7, 8, 9, 10, 12, 13, 16, 17),
        result.findings().stream().map(Finding::line).toList(), result.findings().toString());
    assertEquals("x.proto:3: rpc has no comment: rpc Call(A) returns (B);",
        result.findings().get(1).toString());
  }

  @Test
  void acceptsACommentLineAboveOrATrailingComment() {
    List<String> lines = List.of(
        "// A message.",
        "message A {",
        "  // A field.",
        "  uint64 above = 1;",
        "  uint64 trailing = 2; // Also a field.",
        "}");
    assertEquals(List.of(), ProtoDocLint.lint("x.proto", lines).findings());
  }

  @Test
  void commentMustBeDirectlyAboveAndSaySomething() {
    List<String> lines = List.of(
        "// Separated from its message by a blank line.",
        "",
        "message A {",
        "  //",
        "  uint64 empty_comment = 1;",
        "  uint64 empty_trailing = 2; //",
        "}");
    assertEquals(List.of(3, 5, 6),
        ProtoDocLint.lint("x.proto", lines).findings().stream().map(Finding::line).toList());
  }

  @Test
  void rejectsLinesItCannotCheck() {
    List<String> lines = List.of(
        "/* A block comment. */",
        "// A message.",
        "message A {",
        "  // Split over two lines, so the lint cannot see the field.",
        "  uint64",
        "      split = 1;",
        "}");
    assertEquals(List.of(1, 5, 6),
        ProtoDocLint.lint("x.proto", lines).findings().stream().map(Finding::line).toList());
  }

  private static List<Path> protoFiles() throws IOException {
    try (Stream<Path> walk = Files.walk(PROTO_DIR)) {
      return walk.filter(p -> p.toString().endsWith(".proto")).sorted().toList();
    }
  }

  private static Result lint(Path file) throws IOException {
    return ProtoDocLint.lint(PROTO_DIR.relativize(file).toString(),
        Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  private static Map<Kind, Integer> countDeclarations(FileDescriptor file) {
    Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
    for (ServiceDescriptor service : file.getServices()) {
      counts.merge(Kind.SERVICE, 1, Integer::sum);
      counts.merge(Kind.RPC, service.getMethods().size(), Integer::sum);
    }
    file.getMessageTypes().forEach(m -> countMessage(m, counts));
    file.getEnumTypes().forEach(e -> countEnum(e, counts));
    return counts;
  }

  private static void countMessage(Descriptor message, Map<Kind, Integer> counts) {
    if (message.getOptions().getMapEntry()) {
      return; // generated by protoc for a map field; not in the source
    }
    counts.merge(Kind.MESSAGE, 1, Integer::sum);
    if (!message.getFields().isEmpty()) {
      counts.merge(Kind.FIELD, message.getFields().size(), Integer::sum);
    }
    if (!message.getRealOneofs().isEmpty()) {
      counts.merge(Kind.ONEOF, message.getRealOneofs().size(), Integer::sum);
    }
    message.getNestedTypes().forEach(m -> countMessage(m, counts));
    message.getEnumTypes().forEach(e -> countEnum(e, counts));
  }

  private static void countEnum(EnumDescriptor e, Map<Kind, Integer> counts) {
    counts.merge(Kind.ENUM, 1, Integer::sum);
    counts.merge(Kind.ENUM_VALUE, e.getValues().size(), Integer::sum);
  }
}
