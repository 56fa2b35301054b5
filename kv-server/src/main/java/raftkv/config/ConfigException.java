package raftkv.config;

/**
 * A config that cannot be used. The message is a single line that names the file and the
 * field ({@code config.json: servers[2].LogPort: missing}), fit to print as it is before the
 * process exits with code 2 (SPEC section 3); nobody needs the stack trace to act on it.
 */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(oneLine(message));
    }

    public ConfigException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    static ConfigException at(String source, String field, String problem) {
        return new ConfigException(source + ": " + field + ": " + problem);
    }

    // The one-line contract holds even when an OS or parser reason brings a line break along.
    private static String oneLine(String message) {
        return message.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
