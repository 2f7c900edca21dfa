package io.distilflux.pipeline.event;

/**
 * Where a result came from, recorded with every run.
 *
 * @param distilfluxVersion version of this build
 * @param javaVersion the JVM's version
 * @param host host name
 * @param backend numeric backend (for example "nd4j-native")
 */
public record Provenance(String distilfluxVersion, String javaVersion, String host, String backend) {

  /** Provenance of the current process with the given numeric backend. */
  public static Provenance current(String backend) {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "unknown";
    }
    String version = Provenance.class.getPackage().getImplementationVersion();
    return new Provenance(
        version == null ? "dev" : version, System.getProperty("java.version"), host, backend);
  }
}
