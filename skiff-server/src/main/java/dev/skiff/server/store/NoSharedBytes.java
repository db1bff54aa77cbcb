package dev.skiff.server.store;

import java.io.InputStream;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;

/**
 * {@link SharedBytes#none()}: a control plane alone on its store, whose directories are the truth.
 */
enum NoSharedBytes implements SharedBytes {
  INSTANCE;

  @Override
  public boolean shared() {
    return false;
  }

  @Override
  public long put(Kind kind, String key, InputStream in) {
    return 0;
  }

  @Override
  public Optional<InputStream> open(Kind kind, String key) {
    return Optional.empty();
  }

  @Override
  public Set<String> existing(Kind kind, Collection<String> keys) {
    return Set.of();
  }

  @Override
  public boolean delete(Kind kind, String key) {
    return false;
  }
}
