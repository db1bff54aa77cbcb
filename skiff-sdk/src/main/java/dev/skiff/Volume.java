package dev.skiff;

/**
 * A persistent, named directory that functions mount at an absolute path, like the seed's {@code
 * Volume.from_name("my-cache")}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Volume {
  private final String name;
  private final boolean createsIfMissing;

  private Volume(String name, boolean createsIfMissing) {
    if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}")) {
      throw new InvalidConfigurationException(
          "volumes: name '" + name + "' is not allowed; use 1-64 of [A-Za-z0-9_.-]");
    }
    this.name = name;
    this.createsIfMissing = createsIfMissing;
  }

  /**
   * The volume stored under {@code name}; it must exist unless {@link #createIfMissing()} is used.
   *
   * @throws InvalidConfigurationException if the name is not allowed
   */
  public static Volume fromName(String name) {
    return new Volume(name, false);
  }

  /** This volume, created when it does not exist yet. */
  public Volume createIfMissing() {
    return new Volume(name, true);
  }

  /** The volume's name. */
  public String name() {
    return name;
  }

  /** Whether the volume is created when it does not exist yet. */
  public boolean createsIfMissing() {
    return createsIfMissing;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Volume v && v.name.equals(name) && v.createsIfMissing == createsIfMissing;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Boolean.hashCode(createsIfMissing);
  }

  @Override
  public String toString() {
    return "Volume[" + name + (createsIfMissing ? ", createIfMissing" : "") + "]";
  }
}
