package dev.skiff;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything a function declares about how it runs: the seed's {@code @app.function(...)}
 * parameters as typed values. Built by {@link App#function} from the configurer the user passes,
 * e.g. {@code f -> f.timeout(Duration.ofMinutes(10)).retries(3)}.
 *
 * <p>Immutable and thread-safe. Each builder method validates its value at once and throws {@link
 * InvalidConfigurationException} naming the function, the option, the value and what is allowed.
 */
public final class FunctionOptions {
  /** The default per-attempt timeout, as in the seed: 300 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  static final Duration MIN_TIMEOUT = Duration.ofSeconds(1);
  static final Duration MAX_TIMEOUT = Duration.ofHours(24);
  private static final Pattern GPU = Pattern.compile("([A-Za-z0-9][A-Za-z0-9\\-]*)(:([1-8]))?");
  private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9\\-]*");
  private static final Set<String> RESERVED_PATHS =
      Set.of("/", "/tmp", "/proc", "/dev", "/sys", "/usr", "/bin", "/lib", "/etc", "/skiff");

  private final Optional<String> name;
  private final Optional<Image> image;
  private final List<Secret> secrets;
  private final List<String> gpus;
  private final OptionalDouble cpuRequest;
  private final OptionalDouble cpuLimit;
  private final OptionalInt memoryRequestMib;
  private final OptionalInt memoryLimitMib;
  private final Duration timeout;
  private final Optional<Duration> startupTimeout;
  private final Optional<Retries> retries;
  private final Optional<Schedule> schedule;
  private final List<String> regions;
  private final boolean blockNetwork;
  private final int minContainers;
  private final OptionalInt maxContainers;
  private final int bufferContainers;
  private final Optional<Duration> scaledownWindow;
  private final int maxInputs;
  private final int targetInputs;
  private final Map<String, Volume> volumes;
  private final Set<String> explicitlySet;

  private FunctionOptions(Builder b) {
    this.name = b.name;
    this.image = b.image;
    this.secrets = List.copyOf(b.secrets);
    this.gpus = List.copyOf(b.gpus);
    this.cpuRequest = b.cpuRequest;
    this.cpuLimit = b.cpuLimit;
    this.memoryRequestMib = b.memoryRequestMib;
    this.memoryLimitMib = b.memoryLimitMib;
    this.timeout = b.timeout;
    this.startupTimeout = b.startupTimeout;
    this.retries = b.retries;
    this.schedule = b.schedule;
    this.regions = List.copyOf(b.regions);
    this.blockNetwork = b.blockNetwork;
    this.minContainers = b.minContainers;
    this.maxContainers = b.maxContainers;
    this.bufferContainers = b.bufferContainers;
    this.scaledownWindow = b.scaledownWindow;
    this.maxInputs = b.maxInputs;
    this.targetInputs = b.targetInputs.orElse(b.maxInputs);
    this.volumes = Collections.unmodifiableMap(new LinkedHashMap<>(b.volumes));
    this.explicitlySet = Collections.unmodifiableSet(new LinkedHashSet<>(b.explicitlySet));
  }

  /** A builder for the function called {@code functionName} (used in error messages). */
  public static Builder builder(String functionName) {
    return new Builder(functionName);
  }

  /** The function's name, when it was given explicitly rather than taken from the method. */
  public Optional<String> name() {
    return name;
  }

  /** The image the function's containers run on, if one was given. */
  public Optional<Image> image() {
    return image;
  }

  /** The secrets given to the function's containers, in order (later ones override earlier). */
  public List<Secret> secrets() {
    return secrets;
  }

  /** The GPU types to try, in order of preference; empty when no GPU is needed. */
  public List<String> gpus() {
    return gpus;
  }

  /** The CPU cores reserved for each container. */
  public OptionalDouble cpuRequest() {
    return cpuRequest;
  }

  /** The CPU cores each container may use at most. */
  public OptionalDouble cpuLimit() {
    return cpuLimit;
  }

  /** The memory reserved for each container, in MiB. */
  public OptionalInt memoryRequestMib() {
    return memoryRequestMib;
  }

  /** The memory each container may use at most, in MiB. */
  public OptionalInt memoryLimitMib() {
    return memoryLimitMib;
  }

  /** The limit for one attempt of one input. */
  public Duration timeout() {
    return timeout;
  }

  /** The limit for a container's start plus the user code's initialisation. */
  public Duration startupTimeout() {
    return startupTimeout.orElse(timeout);
  }

  /** The retry policy; empty means no retries. */
  public Optional<Retries> retries() {
    return retries;
  }

  /** The schedule on which the function runs by itself. */
  public Optional<Schedule> schedule() {
    return schedule;
  }

  /** Whether the function's containers have no network at all ({@link Builder#blockNetwork()}). */
  public boolean blockNetwork() {
    return blockNetwork;
  }

  /** The regions the function may be placed in; empty means any. */
  public List<String> regions() {
    return regions;
  }

  /** Containers kept running even without traffic. */
  public int minContainers() {
    return minContainers;
  }

  /** The most containers the function may have at once; empty means the platform's default. */
  public OptionalInt maxContainers() {
    return maxContainers;
  }

  /** Idle containers kept beyond current demand. */
  public int bufferContainers() {
    return bufferContainers;
  }

  /** How long a container may stay idle before it stops; empty means the platform's default. */
  public Optional<Duration> scaledownWindow() {
    return scaledownWindow;
  }

  /** How many inputs one container runs at once. */
  public int maxInputs() {
    return maxInputs;
  }

  /** How many inputs per container the autoscaler aims at. */
  public int targetInputs() {
    return targetInputs;
  }

  /** The volumes, by the absolute path at which each is mounted. */
  public Map<String, Volume> volumes() {
    return volumes;
  }

  /** The names of the options that were set explicitly, e.g. {@code "timeout"}. */
  public Set<String> explicitlySet() {
    return explicitlySet;
  }

  /**
   * Collects the options of one function. Not thread-safe; used once, inside the configurer passed
   * to {@link App#function}.
   */
  public static final class Builder {
    private final String function;
    private Optional<String> name = Optional.empty();
    private Optional<Image> image = Optional.empty();
    private final List<Secret> secrets = new ArrayList<>();
    private final List<String> gpus = new ArrayList<>();
    private OptionalDouble cpuRequest = OptionalDouble.empty();
    private OptionalDouble cpuLimit = OptionalDouble.empty();
    private OptionalInt memoryRequestMib = OptionalInt.empty();
    private OptionalInt memoryLimitMib = OptionalInt.empty();
    private Duration timeout = DEFAULT_TIMEOUT;
    private Optional<Duration> startupTimeout = Optional.empty();
    private Optional<Retries> retries = Optional.empty();
    private Optional<Schedule> schedule = Optional.empty();
    private final List<String> regions = new ArrayList<>();
    private boolean blockNetwork;
    private int minContainers = 0;
    private OptionalInt maxContainers = OptionalInt.empty();
    private int bufferContainers = 0;
    private Optional<Duration> scaledownWindow = Optional.empty();
    private int maxInputs = 1;
    private OptionalInt targetInputs = OptionalInt.empty();
    private final Map<String, Volume> volumes = new LinkedHashMap<>();
    private final Set<String> explicitlySet = new LinkedHashSet<>();

    private Builder(String function) {
      this.function = function;
    }

    private InvalidConfigurationException invalid(String option, Object value, String allowed) {
      return new InvalidConfigurationException(
          "function '" + function + "': " + option + " was " + value + "; allowed is " + allowed);
    }

    private void set(String option) {
      explicitlySet.add(option);
    }

    /** Names the function instead of taking the method's name (needed for lambdas). */
    public Builder name(String name) {
      if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_\\-]{0,62}")) {
        throw invalid("name", "'" + name + "'", "1-63 of [A-Za-z0-9_-], not starting with a digit");
      }
      this.name = Optional.of(name);
      return this;
    }

    /** The image the containers run on. */
    public Builder image(Image image) {
      this.image = Optional.of(Objects.requireNonNull(image, "image"));
      set("image");
      return this;
    }

    /** Secrets given to the containers as environment variables; later ones win. */
    public Builder secrets(Secret... secrets) {
      for (Secret s : secrets) {
        this.secrets.add(Objects.requireNonNull(s, "secret"));
      }
      set("secrets");
      return this;
    }

    /**
     * GPU types in order of preference, each {@code "TYPE"} or {@code "TYPE:COUNT"} (count 1..8),
     * e.g. {@code gpu("H100", "A100:2")}. Each container gets whole devices of the first type that
     * has enough free, shared with no other container, and sees exactly them in {@code
     * CUDA_VISIBLE_DEVICES}; when none is free it waits. A list that no node can satisfy makes
     * {@code app.run()} fail.
     */
    public Builder gpu(String... types) {
      if (types.length == 0) {
        throw invalid("gpu", "empty", "one or more GPU types such as \"A100\" or \"H100:2\"");
      }
      for (String t : types) {
        if (t == null || !GPU.matcher(t).matches()) {
          throw invalid(
              "gpu", "'" + t + "'", "TYPE or TYPE:COUNT with COUNT in 1..8, e.g. \"A100:2\"");
        }
        gpus.add(t);
      }
      set("gpu");
      return this;
    }

    /**
     * CPU cores to reserve on the node for each container (0.125..256); a container that does not
     * fit waits until cores are free.
     */
    public Builder cpu(double request) {
      return cpu(request, Double.NaN);
    }

    /**
     * CPU cores to reserve and the most that may be used (request <= limit); the limit, rounded up,
     * is the number of processors the container's JVM sees.
     */
    public Builder cpu(double request, double limit) {
      if (!(request >= 0.125 && request <= 256)) {
        throw invalid("cpu", request, "0.125..256 cores");
      }
      if (!Double.isNaN(limit) && !(limit >= request && limit <= 256)) {
        throw invalid("cpu limit", limit, "a value between the request (" + request + ") and 256");
      }
      cpuRequest = OptionalDouble.of(request);
      cpuLimit = Double.isNaN(limit) ? OptionalDouble.empty() : OptionalDouble.of(limit);
      set("cpu");
      return this;
    }

    /**
     * Memory to reserve on the node for each container, in MiB (64..1048576); a container that does
     * not fit waits until memory is free.
     */
    public Builder memory(int requestMib) {
      return memory(requestMib, -1);
    }

    /**
     * Memory to reserve and the most that may be used, in MiB (request <= limit). The limit sizes
     * the container's JVM (a heap of 3/4 of it), so allocating past it ends the attempt with an
     * out-of-memory error.
     */
    public Builder memory(int requestMib, int limitMib) {
      if (requestMib < 64 || requestMib > 1_048_576) {
        throw invalid("memory", requestMib + " MiB", "64..1048576 MiB");
      }
      if (limitMib != -1 && (limitMib < requestMib || limitMib > 1_048_576)) {
        throw invalid(
            "memory limit",
            limitMib + " MiB",
            "a value between the request (" + requestMib + " MiB) and 1048576 MiB");
      }
      memoryRequestMib = OptionalInt.of(requestMib);
      memoryLimitMib = limitMib == -1 ? OptionalInt.empty() : OptionalInt.of(limitMib);
      set("memory");
      return this;
    }

    /** The limit for one attempt (1 s..24 h; default 300 s). */
    public Builder timeout(Duration timeout) {
      checkRange("timeout", timeout, MIN_TIMEOUT, MAX_TIMEOUT);
      this.timeout = timeout;
      set("timeout");
      return this;
    }

    /** The limit for a container's start plus initialisation (1 s..24 h; default the timeout). */
    public Builder startupTimeout(Duration startupTimeout) {
      checkRange("startupTimeout", startupTimeout, MIN_TIMEOUT, MAX_TIMEOUT);
      this.startupTimeout = Optional.of(startupTimeout);
      set("startupTimeout");
      return this;
    }

    /** {@code n} retries (0..10) one second apart. */
    public Builder retries(int n) {
      if (n < 0 || n > Retries.MAX_RETRIES) {
        throw invalid("retries", n, "0.." + Retries.MAX_RETRIES);
      }
      return retries(Retries.of(n));
    }

    /** A retry policy with backoff. */
    public Builder retries(Retries retries) {
      this.retries = Optional.of(Objects.requireNonNull(retries, "retries"));
      set("retries");
      return this;
    }

    /** Runs the function by itself on a schedule (only for functions without parameters). */
    public Builder schedule(Schedule schedule) {
      this.schedule = Optional.of(Objects.requireNonNull(schedule, "schedule"));
      set("schedule");
      return this;
    }

    /**
     * Gives the function's containers no network at all: they see only their own loopback, and
     * reach nothing but the control plane (through the socket it hands them). Without this,
     * containers reach the outside through a user-mode network that does not lead to the host's
     * loopback. Like Modal's {@code block_network=True}.
     */
    public Builder blockNetwork() {
      blockNetwork = true;
      set("blockNetwork");
      return this;
    }

    /**
     * Restricts placement to nodes in these regions, e.g. {@code "us-east-1"}; if no node is in any
     * of them, {@code app.run()} fails.
     */
    public Builder region(String... regions) {
      if (regions.length == 0) {
        throw invalid("region", "empty", "one or more region names such as \"us-east-1\"");
      }
      for (String r : regions) {
        if (r == null || !REGION.matcher(r).matches()) {
          throw invalid("region", "'" + r + "'", "a name of [a-z0-9-] such as \"eu-west-1\"");
        }
        this.regions.add(r);
      }
      set("region");
      return this;
    }

    /** Containers to keep running even without traffic (0..1000). */
    public Builder minContainers(int n) {
      if (n < 0 || n > 1000) {
        throw invalid("minContainers", n, "0..1000");
      }
      minContainers = n;
      set("minContainers");
      return this;
    }

    /** The most containers at once (1..1000). */
    public Builder maxContainers(int n) {
      if (n < 1 || n > 1000) {
        throw invalid("maxContainers", n, "1..1000");
      }
      maxContainers = OptionalInt.of(n);
      set("maxContainers");
      return this;
    }

    /**
     * Idle containers to keep beyond current demand while the function has inputs (0..1000); with
     * no inputs the function still scales down to {@code minContainers}.
     */
    public Builder bufferContainers(int n) {
      if (n < 0 || n > 1000) {
        throw invalid("bufferContainers", n, "0..1000");
      }
      bufferContainers = n;
      set("bufferContainers");
      return this;
    }

    /** How long a container may stay idle before it stops (1 s..24 h). */
    public Builder scaledownWindow(Duration window) {
      checkRange("scaledownWindow", window, Duration.ofSeconds(1), MAX_TIMEOUT);
      scaledownWindow = Optional.of(window);
      set("scaledownWindow");
      return this;
    }

    /** How many inputs one container runs at once (1..1000), like {@code @concurrent}. */
    public Builder concurrentInputs(int maxInputs) {
      if (maxInputs < 1 || maxInputs > 1000) {
        throw invalid("concurrentInputs", maxInputs, "1..1000");
      }
      this.maxInputs = maxInputs;
      set("concurrentInputs");
      return this;
    }

    /** Inputs per container at most, and the number per container the autoscaler aims at. */
    public Builder concurrentInputs(int maxInputs, int targetInputs) {
      concurrentInputs(maxInputs);
      if (targetInputs < 1 || targetInputs > maxInputs) {
        throw invalid(
            "concurrentInputs target", targetInputs, "1.." + maxInputs + " (the maximum)");
      }
      this.targetInputs = OptionalInt.of(targetInputs);
      return this;
    }

    /** Mounts a volume read-write at an absolute path, e.g. {@code "/cache"}. */
    public Builder volume(String path, Volume volume) {
      Objects.requireNonNull(volume, "volume");
      if (path == null || !path.startsWith("/") || path.contains("..") || path.endsWith("/")) {
        throw invalid(
            "volumes", "path '" + path + "'", "an absolute path without '..' or a trailing '/'");
      }
      if (RESERVED_PATHS.contains(path)) {
        throw invalid(
            "volumes", "path '" + path + "'", "any absolute path except " + RESERVED_PATHS);
      }
      if (volumes.containsKey(path)) {
        throw invalid("volumes", "path '" + path + "' twice", "one volume per path");
      }
      volumes.put(path, volume);
      set("volumes");
      return this;
    }

    private void checkRange(String option, Duration d, Duration min, Duration max) {
      Objects.requireNonNull(d, option);
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        throw invalid(option, d, min + ".." + max);
      }
    }

    /** The immutable options; checks the rules that involve several options. */
    public FunctionOptions build() {
      if (maxContainers.isPresent() && minContainers > maxContainers.getAsInt()) {
        throw new InvalidConfigurationException(
            "function '"
                + function
                + "': minContainers ("
                + minContainers
                + ") is greater than maxContainers ("
                + maxContainers.getAsInt()
                + "); allowed is minContainers <= maxContainers");
      }
      if (maxContainers.isPresent() && bufferContainers > maxContainers.getAsInt()) {
        throw new InvalidConfigurationException(
            "function '"
                + function
                + "': bufferContainers ("
                + bufferContainers
                + ") is greater than maxContainers ("
                + maxContainers.getAsInt()
                + "); allowed is bufferContainers <= maxContainers");
      }
      return new FunctionOptions(this);
    }
  }
}
