package raftkv.cli;

import picocli.CommandLine.IVersionProvider;
import raftkv.proto.BuildVersion;

/** kvctl's {@code --version}: the build's version and commit ({@link BuildVersion}, as kv-server prints them). */
public final class VersionProvider implements IVersionProvider {
    /** The build's version, or "unknown" when run from classes Maven did not filter. */
    public static String version() {
        return BuildVersion.version();
    }

    /** The git commit the build was made from, or "unknown" (built outside a git checkout). */
    public static String commit() {
        return BuildVersion.commit();
    }

    @Override
    public String[] getVersion() {
        return new String[] {"kvctl " + version() + " (commit " + commit() + "; raftkv; Java " + Runtime.version() + ")"};
    }
}
