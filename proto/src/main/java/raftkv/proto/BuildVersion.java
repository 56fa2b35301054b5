package raftkv.proto;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The version and git commit Maven stamped into version.properties at build time: one copy, read
 * by kv-server's and kvctl's {@code --version} alike, so the two always agree. "unknown" where
 * the build could not tell (classes Maven did not filter, a build outside a git checkout).
 */
public final class BuildVersion {
    private BuildVersion() {}

    /** The build's version, or "unknown". */
    public static String version() {
        return property("version");
    }

    /** The git commit the build was made from, or "unknown". */
    public static String commit() {
        return property("commit");
    }

    private static String property(String name) {
        try (InputStream in = BuildVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty(name, "unknown");
            return v.isBlank() || v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
