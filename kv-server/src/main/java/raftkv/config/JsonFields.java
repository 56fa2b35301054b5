package raftkv.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Typed reads of one JSON object's fields. Every failure is a {@link ConfigException} naming
 * the file and the field's full path ({@code servers[2].LogPort}), so a user can find it.
 */
final class JsonFields {

    private final String source;
    private final String prefix; // "" at the top level, "servers[2]." inside a server entry
    private final JsonNode object; // Invariant: isObject()
    private final List<String> warnings; // shared with the children, in file order

    private JsonFields(String source, String prefix, JsonNode object, List<String> warnings) {
        this.source = source;
        this.prefix = prefix;
        this.object = object;
        this.warnings = warnings;
    }

    static JsonFields root(String source, JsonNode root, List<String> warnings) {
        if (root.isMissingNode()) {
            throw new ConfigException(source + ": empty, expected a JSON object");
        }
        if (!root.isObject()) {
            throw new ConfigException(source + ": must hold a JSON object, got " + show(root));
        }
        return new JsonFields(source, "", root, warnings);
    }

    /** The object at {@code path} (say {@code servers[1]}), which must be one. */
    JsonFields child(String path, JsonNode value) {
        if (!value.isObject()) {
            throw ConfigException.at(source, prefix + path, "must be an object, got " + show(value));
        }
        return new JsonFields(source, prefix + path + ".", value, warnings);
    }

    ConfigException error(String name, String problem) {
        return ConfigException.at(source, prefix + name, problem);
    }

    JsonNode require(String name) {
        return require(name, "");
    }

    /** As {@link #require(String)}; {@code why} (": ..." or "") tells the user why the field is needed. */
    JsonNode require(String name, String why) {
        JsonNode value = object.get(name);
        if (value == null) {
            String other = sameIgnoringCase(name);
            throw error(name, other == null ? "missing" + why
                    : "missing (found \"" + other + "\"; field names are case-sensitive)");
        }
        return value;
    }

    /** The field's value, or null when the key is absent. */
    JsonNode optional(String name) {
        return object.get(name);
    }

    /**
     * An integer in [min, max]. The message names the range when {@code max} is a real limit
     * (ports), and says "positive" or "non-negative" when it is only the size of an int.
     */
    int integer(String name, JsonNode value, int min, int max) {
        if (value.isIntegralNumber() && value.canConvertToInt()) {
            int n = value.intValue();
            if (n >= min && n <= max) {
                return n;
            }
        }
        String rule = max != Integer.MAX_VALUE ? "an integer from " + min + " to " + max
                : min == 0 ? "a non-negative integer" : "a positive integer";
        boolean tooLarge = value.isIntegralNumber() && value.bigIntegerValue().signum() > 0;
        String limit = tooLarge && max == Integer.MAX_VALUE ? " no larger than " + max : "";
        throw error(name, "must be " + rule + limit + ", got " + show(value));
    }

    int positiveInt(String name, int absent) {
        JsonNode value = optional(name);
        return value == null ? absent : integer(name, value, 1, Integer.MAX_VALUE);
    }

    long positiveLong(String name, long absent) {
        JsonNode value = optional(name);
        if (value == null) {
            return absent;
        }
        if (value.isIntegralNumber() && value.canConvertToLong() && value.longValue() >= 1) {
            return value.longValue();
        }
        throw error(name, "must be a positive integer, got " + show(value));
    }

    boolean bool(String name, boolean absent) {
        JsonNode value = optional(name);
        if (value == null) {
            return absent;
        }
        if (!value.isBoolean()) {
            throw error(name, "must be true or false, got " + show(value));
        }
        return value.booleanValue();
    }

    /** A non-empty string with no control characters nor leading or trailing blanks. */
    String text(String name, JsonNode value, String what) {
        return string(name, value, what, Character::isISOControl);
    }

    /** A host name or address: a non-empty string with no blank or control character anywhere. */
    String hostname(String name, JsonNode value) {
        return string(name, value, "a host name or address",
                c -> Character.isWhitespace(c) || Character.isISOControl(c));
    }

    private String string(String name, JsonNode value, String what, IntPredicate forbidden) {
        // A stray blank or line break would otherwise surface later as a baffling bind or log failure.
        String text = value.isTextual() ? value.textValue() : "";
        if (text.isEmpty() || !text.strip().equals(text) || text.codePoints().anyMatch(forbidden)) {
            throw error(name, "must be " + what + ", got " + show(value));
        }
        return text;
    }

    /** A warning about field {@code name}, logged at start; never fatal. */
    void warn(String name, String problem) {
        warnings.add(source + ": " + prefix + name + ": " + problem);
    }

    /** Unknown keys are reported, never fatal, so a newer config still starts an older node. */
    void warnUnknown(Set<String> known) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                String meant = known.stream().filter(name::equalsIgnoreCase).findFirst()
                        .map(k -> " (did you mean \"" + k + "\"?)").orElse("");
                warnings.add(source + ": " + prefix + name + ": unknown key, ignored" + meant);
            }
        }
    }

    private String sameIgnoringCase(String name) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String other = names.next();
            if (other.equalsIgnoreCase(name)) {
                return other;
            }
        }
        return null;
    }

    /** A value as JSON on one line, cut short so a stray blob cannot flood the message. */
    static String show(JsonNode value) {
        String json = value.toString();
        return json.length() <= 40 ? json : json.substring(0, 37) + "...";
    }
}
