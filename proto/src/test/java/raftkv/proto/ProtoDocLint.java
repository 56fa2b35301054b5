package raftkv.proto;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks that a .proto file documents every declaration a client author sees: each service,
 * rpc, message, enum, oneof, field and enum value must be directly preceded by a {@code //}
 * comment line with text in it, or carry a trailing {@code //} comment on its own line.
 *
 * <p>Pure: lines in, findings out. The parser is line based on purpose, so it also rejects any
 * line it cannot classify (a declaration split over lines, a block comment) rather than let it
 * pass unchecked.
 */
final class ProtoDocLint {

  /** The kinds of declaration the lint requires a comment for. */
  enum Kind {
    SERVICE, RPC, MESSAGE, ENUM, ONEOF, FIELD, ENUM_VALUE
  }

  /** One undocumented or unreadable line; {@code line} counts from 1. */
  record Finding(String file, int line, String problem, String text) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + problem + ": " + text;
    }
  }

  /** The findings for one file, and how many declarations of each kind it holds. */
  record Result(List<Finding> findings, Map<Kind, Integer> counts) {}

  private static final Pattern BLOCK = Pattern.compile("^(service|message|enum|oneof)\\s+\\w+.*");
  private static final Pattern RPC = Pattern.compile("^rpc\\s+\\w+\\s*\\(.*");
  private static final Pattern FIELD = Pattern.compile(
      "^(?:(?:optional|repeated|required)\\s+)?(?:map\\s*<[^>]*>|\\.?[A-Za-z_][\\w.]*)"
          + "\\s+[A-Za-z_]\\w*\\s*=\\s*\\d+.*");
  private static final Pattern ENUM_VALUE =
      Pattern.compile("^[A-Za-z_]\\w*\\s*=\\s*-?(?:0[xX][0-9a-fA-F]+|\\d+).*");
  // Statements that need no comment of their own: file header lines, options, reservations.
  private static final Pattern EXEMPT = Pattern.compile(
      "^(syntax|edition|package|import|option|reserved|extensions)\\b.*");

  private ProtoDocLint() {}

  static Result lint(String file, List<String> lines) {
    List<Finding> findings = new ArrayList<>();
    Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
    // Whether we are inside an enum body, where "NAME = 1;" is a value, not a field.
    // A stack, because messages nest (an enum inside a message inside a message).
    List<Boolean> inEnum = new ArrayList<>();
    String previous = "";
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int number = i + 1;
      Kind kind = classify(line, !inEnum.isEmpty() && inEnum.get(inEnum.size() - 1));
      if (kind != null) {
        counts.merge(kind, 1, Integer::sum);
        if (!isCommentWithText(previous) && !hasTrailingComment(line)) {
          findings.add(new Finding(file, number,
              kind.name().toLowerCase().replace('_', ' ') + " has no comment", line));
        }
      } else if (!line.isEmpty() && !line.startsWith("//") && !line.equals("}")
          && !EXEMPT.matcher(line).matches()) {
        findings.add(new Finding(file, number, "line the lint cannot read", line));
      }
      // Track nesting from the braces on the line (comments stripped first).
      String code = stripComment(line);
      for (int c = 0; c < code.length(); c++) {
        if (code.charAt(c) == '{') {
          inEnum.add(kind == Kind.ENUM);
        } else if (code.charAt(c) == '}' && !inEnum.isEmpty()) {
          inEnum.remove(inEnum.size() - 1);
        }
      }
      previous = line;
    }
    return new Result(findings, counts);
  }

  private static Kind classify(String line, boolean inEnumBody) {
    if (line.isEmpty() || line.startsWith("//") || EXEMPT.matcher(line).matches()) {
      return null;
    }
    if (BLOCK.matcher(line).matches()) {
      return Kind.valueOf(line.substring(0, line.indexOf(' ')).toUpperCase());
    }
    if (RPC.matcher(line).matches()) {
      return Kind.RPC;
    }
    if (inEnumBody && ENUM_VALUE.matcher(line).matches()) {
      return Kind.ENUM_VALUE;
    }
    if (!inEnumBody && FIELD.matcher(line).matches()) {
      return Kind.FIELD;
    }
    return null;
  }

  private static boolean isCommentWithText(String line) {
    return line.startsWith("//") && !line.substring(2).isBlank();
  }

  private static boolean hasTrailingComment(String line) {
    int at = line.indexOf("//");
    return at > 0 && !line.substring(at + 2).isBlank();
  }

  private static String stripComment(String line) {
    int at = line.indexOf("//");
    return at < 0 ? line : line.substring(0, at);
  }
}
