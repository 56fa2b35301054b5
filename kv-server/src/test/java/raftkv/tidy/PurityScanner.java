package raftkv.tidy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds, in Java source text, uses of what the pure packages must not touch: the network, files,
 * clocks, threads, locks and ambient randomness (TigerBeetle's "tidy" idea). Comments, string
 * and character literals and text blocks are blanked out first, so prose that names a forbidden
 * API is not a use of it; line numbers are preserved.
 */
final class PurityScanner {
    /** One forbidden thing: the name reported and the pattern that finds it in code. */
    record Rule(String name, Pattern pattern) {
        static Rule of(String name, String regex) {
            return new Rule(name, Pattern.compile(regex));
        }
    }

    /** A forbidden use at {@code file}:{@code line}. */
    record Violation(String file, int line, String rule, String code) {
        @Override
        public String toString() {
            return file + ":" + line + ": uses " + rule + ": " + code.strip();
        }
    }

    private static final String DOT = "\\s*\\.\\s*";

    static final List<Rule> RULES = List.of(
            Rule.of("java.net", "\\bjava" + DOT + "net\\b"),
            Rule.of("java.nio.file", "\\bjava" + DOT + "nio" + DOT + "file\\b"),
            Rule.of("java.io.File", "\\bjava" + DOT + "io" + DOT + "(Random\\w*)?File\\w*"),
            Rule.of("java.io.File (by simple name)", "\\bnew\\s+(RandomAccess)?File(InputStream|OutputStream|Reader|Writer)?\\s*\\("),
            Rule.of("java.time", "\\bjava" + DOT + "time\\b"),
            Rule.of("Thread", "\\bThread\\b"),
            Rule.of("ThreadLocal", "\\bThreadLocal\\b"),
            Rule.of("ThreadLocalRandom", "\\bThreadLocalRandom\\b"),
            Rule.of("System.currentTimeMillis", "\\bSystem" + DOT + "currentTimeMillis\\b"),
            Rule.of("System.nanoTime", "\\bSystem" + DOT + "nanoTime\\b"),
            Rule.of("static import of System or Thread members", "\\bimport\\s+static\\s+java" + DOT + "lang" + DOT + "(System|Thread)" + DOT + "\\*"),
            Rule.of("new Random(", "\\bnew\\s+(java" + DOT + "util" + DOT + ")?Random\\s*\\("),
            Rule.of("SecureRandom", "\\bSecureRandom\\b"),
            Rule.of("RandomGenerator.getDefault/of (ambient seed)", "\\bRandomGenerator" + DOT + "(getDefault|of)\\s*\\("),
            Rule.of("UUID.randomUUID", "\\bUUID" + DOT + "randomUUID\\b"),
            Rule.of("Math.random", "\\b(Strict)?Math" + DOT + "random\\b"),
            Rule.of("java.util.concurrent", "\\bjava" + DOT + "util" + DOT + "concurrent\\b"),
            Rule.of("synchronized", "\\bsynchronized\\b"));

    private PurityScanner() {}

    /** Every forbidden use in {@code source}, in line order; {@code file} only names it in the result. */
    static List<Violation> scan(String file, String source) {
        String[] code = stripCommentsAndLiterals(source).split("\n", -1);
        String[] original = source.split("\n", -1);
        List<Violation> out = new ArrayList<>();
        for (int i = 0; i < code.length; i++) {
            for (Rule rule : RULES) {
                if (rule.pattern().matcher(code[i]).find()) out.add(new Violation(file, i + 1, rule.name(), original[i]));
            }
        }
        return out;
    }

    /**
     * The source with every comment, string literal, text block and character literal replaced
     * by spaces, keeping line breaks (and so line numbers) where they were.
     */
    static String stripCommentsAndLiterals(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < s.length() && s.charAt(i) != '\n') i = blank(s, i, out);
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                int stop = end < 0 ? s.length() : end + 2;
                while (i < stop) i = blank(s, i, out);
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                while (end > 0 && isEscaped(s, end)) end = s.indexOf("\"\"\"", end + 1);
                int stop = end < 0 ? s.length() : end + 3;
                while (i < stop) i = blank(s, i, out);
            } else if (c == '"' || c == '\'') {
                i = blank(s, i, out);
                while (i < s.length() && s.charAt(i) != c && s.charAt(i) != '\n') {
                    if (s.charAt(i) == '\\' && i + 1 < s.length()) i = blank(s, i, out);
                    i = blank(s, i, out);
                }
                if (i < s.length() && s.charAt(i) == c) i = blank(s, i, out);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static int blank(String s, int i, StringBuilder out) {
        out.append(s.charAt(i) == '\n' ? '\n' : ' ');
        return i + 1;
    }

    private static boolean isEscaped(String s, int i) {
        int backslashes = 0;
        for (int j = i - 1; j >= 0 && s.charAt(j) == '\\'; j--) backslashes++;
        return backslashes % 2 == 1;
    }
}
