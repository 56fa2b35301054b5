package raftkv.cli;

/** The value of {@code --output}: text for people, json (one object on stdout) for scripts. */
public enum OutputFormat {
    text,
    json
}
