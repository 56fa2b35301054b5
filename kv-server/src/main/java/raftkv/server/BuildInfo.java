package raftkv.server;

import picocli.CommandLine.IVersionProvider;
import raftkv.proto.BuildVersion;

/** kv-server's {@code --version}: the build's version and commit ({@link BuildVersion}, as kvctl prints them). */
public final class BuildInfo implements IVersionProvider {
    public static String version() {
        return BuildVersion.version();
    }

    public static String commit() {
        return BuildVersion.commit();
    }

    @Override
    public String[] getVersion() {
        return new String[] {"kv-server " + version() + " (commit " + commit() + "; raftkv; Java " + Runtime.version() + ")"};
    }
}
