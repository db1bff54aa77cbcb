package dev.skiff.server;

/**
 * The server's bounds on what callers send and what containers use, each set by a {@code skiff
 * server} option (see docs/server.md, "Limits"). A caller past one of the first three is answered
 * {@code RESOURCE_EXHAUSTED} naming the limit and its option.
 *
 * @param maxMessageMib the largest gRPC message the server accepts, in MiB ({@code
 *     --max-message-mib}); payloads past the SDK's inline limit (4 MiB) travel as blobs, so no
 *     message of the SDK comes near it
 * @param maxBlobMib the largest blob (a payload past the inline limit), in MiB ({@code
 *     --max-blob-mib})
 * @param blobQuotaMib the most bytes all stored blobs may hold together, in MiB ({@code
 *     --blob-quota-mib})
 * @param containerMemoryMib the memory limit of a container whose function sets none, in MiB
 *     ({@code --container-memory-mib}; 0: none)
 * @param containerPids the most processes and threads one container may have ({@code
 *     --container-pids}; 0: no limit)
 */
public record ServerLimits(
    int maxMessageMib,
    long maxBlobMib,
    long blobQuotaMib,
    long containerMemoryMib,
    int containerPids) {
  /** The default of {@link #maxMessageMib}: 64 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_MIB = 64;

  /** The default of {@link #maxBlobMib}: 256 MiB, the SDK's largest payload. */
  public static final long DEFAULT_MAX_BLOB_MIB = 256;

  /** The default of {@link #blobQuotaMib}: 16 GiB. */
  public static final long DEFAULT_BLOB_QUOTA_MIB = 16 * 1024;

  /** The default of {@link #containerMemoryMib}: 2 GiB. */
  public static final long DEFAULT_CONTAINER_MEMORY_MIB = 2048;

  /**
   * The default of {@link #containerPids}: far more than a JVM's threads, far fewer than a bomb.
   */
  public static final int DEFAULT_CONTAINER_PIDS = 4096;

  /** Checks each bound; IllegalArgumentException naming the option otherwise. */
  public ServerLimits {
    check("--max-message-mib", maxMessageMib, 1, 1024);
    check("--max-blob-mib", maxBlobMib, 1, 1024L * 1024);
    check("--blob-quota-mib", blobQuotaMib, 1, Long.MAX_VALUE / (1024 * 1024));
    check("--container-memory-mib", containerMemoryMib, 0, 1024L * 1024);
    check("--container-pids", containerPids, 0, 4_194_304);
  }

  /** The defaults. */
  public static ServerLimits defaults() {
    return new ServerLimits(
        DEFAULT_MAX_MESSAGE_MIB,
        DEFAULT_MAX_BLOB_MIB,
        DEFAULT_BLOB_QUOTA_MIB,
        DEFAULT_CONTAINER_MEMORY_MIB,
        DEFAULT_CONTAINER_PIDS);
  }

  /** The largest message, in bytes. */
  public int maxMessageBytes() {
    return maxMessageMib * 1024 * 1024;
  }

  /** These limits with {@code option} (one of the {@code skiff server} options above) set. */
  ServerLimits with(String option, String value) {
    long v;
    try {
      v = Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " " + value + " is not a whole number", e);
    }
    return switch (option) {
      case "--max-message-mib" ->
          new ServerLimits(
              (int) Math.min(v, Integer.MAX_VALUE / 2),
              maxBlobMib,
              blobQuotaMib,
              containerMemoryMib,
              containerPids);
      case "--max-blob-mib" ->
          new ServerLimits(maxMessageMib, v, blobQuotaMib, containerMemoryMib, containerPids);
      case "--blob-quota-mib" ->
          new ServerLimits(maxMessageMib, maxBlobMib, v, containerMemoryMib, containerPids);
      case "--container-memory-mib" ->
          new ServerLimits(maxMessageMib, maxBlobMib, blobQuotaMib, v, containerPids);
      case "--container-pids" ->
          new ServerLimits(
              maxMessageMib,
              maxBlobMib,
              blobQuotaMib,
              containerMemoryMib,
              (int) Math.min(v, Integer.MAX_VALUE));
      default -> throw new IllegalArgumentException("unknown option " + option);
    };
  }

  private static void check(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          option + " is " + value + "; allowed is " + min + ".." + max);
    }
  }
}
