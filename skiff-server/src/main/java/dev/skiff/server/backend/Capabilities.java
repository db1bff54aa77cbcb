package dev.skiff.server.backend;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a backend can give containers: every {@link Capability} it lacks, with why. The control
 * plane refuses an app whose functions need a lacking capability up front, quoting the reason; the
 * backend refuses a container start that needs one.
 *
 * @param lacking why each lacking capability is lacking, e.g. "bubblewrap (bwrap) is not installed"
 */
public record Capabilities(Map<Capability, String> lacking) {
  /** Copies the map. */
  public Capabilities {
    lacking = lacking.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(lacking));
  }

  /** A backend that can give everything. */
  public static Capabilities all() {
    return new Capabilities(Map.of());
  }

  /** A backend that can give nothing of {@link Capability}, for {@code reason}. */
  public static Capabilities none(String reason) {
    Map<Capability, String> lacking = new EnumMap<>(Capability.class);
    for (Capability c : Capability.values()) {
      lacking.put(c, reason);
    }
    return new Capabilities(lacking);
  }

  /** These capabilities with {@code capability} present. */
  public Capabilities with(Capability capability) {
    Map<Capability, String> fewer = new EnumMap<>(Capability.class);
    fewer.putAll(lacking);
    fewer.remove(capability);
    return new Capabilities(fewer);
  }

  /** These capabilities with {@code capability} lacking, for {@code reason}. */
  public Capabilities without(Capability capability, String reason) {
    Map<Capability, String> more = new EnumMap<>(Capability.class);
    more.putAll(lacking);
    more.put(capability, reason);
    return new Capabilities(more);
  }

  /** Whether {@code capability} is present. */
  public boolean has(Capability capability) {
    return !lacking.containsKey(capability);
  }

  /** Why {@code capability} is lacking, or empty when it is present. */
  public Optional<String> whyNot(Capability capability) {
    return Optional.ofNullable(lacking.get(capability));
  }
}
