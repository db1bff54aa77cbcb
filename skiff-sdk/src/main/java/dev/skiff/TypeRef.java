package dev.skiff;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;

/**
 * A generic type captured by subclassing, for results such as {@code List<String>}: {@code new
 * TypeRef<List<String>>() {}}. Immutable.
 *
 * @param <T> the captured type
 */
public abstract class TypeRef<T> {
  private final Type type;

  /**
   * Captures the type argument of the anonymous subclass.
   *
   * @throws IllegalStateException if it was created without a type argument
   */
  protected TypeRef() {
    Type sup = getClass().getGenericSuperclass();
    if (!(sup instanceof ParameterizedType p)) {
      throw new IllegalStateException(
          "TypeRef needs a type argument: new TypeRef<List<String>>() {}");
    }
    this.type = p.getActualTypeArguments()[0];
  }

  /** The captured type. */
  public Type type() {
    return type;
  }
}
