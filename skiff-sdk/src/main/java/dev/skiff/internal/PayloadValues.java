package dev.skiff.internal;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.Version;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.ser.Serializers;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.type.ReferenceType;
import java.lang.reflect.Executable;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Which classes payloads carry, enforced while a value is encoded.
 *
 * <p>Jackson encodes any object as a map of its getters, so without a rule a {@code Thread} or a
 * socket passed where {@code Object} is declared would arrive as a map of garbage, and one declared
 * as {@code Thread} would be sent only to fail to decode in the container. A value is: a primitive
 * or box, {@code String}, {@code BigDecimal}, {@code BigInteger}, {@code UUID}, {@code URI}, an
 * enum, a record, an array, a collection, a map (or map entry), an {@code Optional}, a {@code
 * java.time} value, or a bean that can be rebuilt on the other side (a class outside the JDK, not a
 * lambda, anonymous, local or inner class, with a constructor without parameters or a
 * {@code @JsonCreator}). A map key must be a string, primitive or box, {@code BigDecimal}, {@code
 * BigInteger}, {@code UUID}, {@code URI}, enum or {@code java.time} value: Jackson would write any
 * other key as its {@code toString()}. The contents of records, beans, arrays, collections, maps
 * and optionals are checked as they are written, so a value is walked once.
 *
 * <p>The rule is applied by a Jackson {@link Serializers} that Jackson consults once per class (its
 * serializers are cached per class): for a class that is not a value it returns a serializer that
 * refuses any instance with a {@link NotAValueException}. Jackson adds the path (fields, indexes,
 * map keys) to that exception as it unwinds, and {@link #describe} turns it into a message.
 */
final class PayloadValues {
  private PayloadValues() {}

  private static final Set<Class<?>> VALUE_CLASSES =
      Set.of(
          Void.class,
          Boolean.class,
          Character.class,
          Byte.class,
          Short.class,
          Integer.class,
          Long.class,
          Float.class,
          Double.class,
          String.class,
          BigDecimal.class,
          BigInteger.class,
          UUID.class,
          URI.class,
          Optional.class,
          OptionalInt.class,
          OptionalLong.class,
          OptionalDouble.class);

  private static final List<String> JDK_PACKAGES =
      List.of("java.", "javax.", "jdk.", "sun.", "com.sun.");

  /** Why instances of a class are not values, or empty when they are; computed once per class. */
  private static final ClassValue<Optional<String>> WHY_NOT_VALUE =
      new ClassValue<>() {
        @Override
        protected Optional<String> computeValue(Class<?> c) {
          return whyNotAValue(c);
        }
      };

  /** Why instances of a class cannot be map keys, or empty when they can; once per class. */
  private static final ClassValue<Optional<String>> WHY_NOT_KEY =
      new ClassValue<>() {
        @Override
        protected Optional<String> computeValue(Class<?> c) {
          boolean key =
              c == Object.class
                  || c.isInterface()
                  || Modifier.isAbstract(c.getModifiers())
                  || (c.isPrimitive() && c != void.class)
                  || Enum.class.isAssignableFrom(c)
                  || (VALUE_CLASSES.contains(c) && !OPTIONALS.contains(c) && c != Void.class)
                  || c.getPackageName().equals("java.time");
          return key
              ? Optional.empty()
              : Optional.of(
                  "a map key must be a String, a primitive or box, BigDecimal, BigInteger, UUID,"
                      + " URI, an enum or a java.time value");
        }
      };

  private static final Set<Class<?>> OPTIONALS =
      Set.of(Optional.class, OptionalInt.class, OptionalLong.class, OptionalDouble.class);

  /** Why instances of {@code c} are not values payloads carry; empty when they are. */
  static Optional<String> whyNot(Class<?> c) {
    return WHY_NOT_VALUE.get(c);
  }

  private static Optional<String> whyNotAValue(Class<?> c) {
    if (c.isPrimitive()
        || c.isArray()
        || c.isRecord()
        || Enum.class.isAssignableFrom(c)
        || Collection.class.isAssignableFrom(c)
        || Map.class.isAssignableFrom(c)
        || Map.Entry.class.isAssignableFrom(c)
        || VALUE_CLASSES.contains(c)
        || c.getPackageName().equals("java.time")) {
      return Optional.empty();
    }
    if (c.isHidden() || c.isSynthetic()) {
      return Optional.of("it is a lambda or hidden class, which cannot be rebuilt");
    }
    if (c.isInterface() || Modifier.isAbstract(c.getModifiers())) {
      // A declared type (Number, CharSequence, Iterable, a user's interface): its values are
      // checked by their own classes, which are never abstract.
      return Optional.empty();
    }
    String name = c.getName();
    if (JDK_PACKAGES.stream().anyMatch(name::startsWith)) {
      return Optional.of(name + " is a JDK class that is not a value");
    }
    if (c.isAnonymousClass() || c.isLocalClass()) {
      return Optional.of("it is an anonymous or local class, which cannot be rebuilt");
    }
    if (c.isMemberClass() && !Modifier.isStatic(c.getModifiers())) {
      return Optional.of(
          "it is an inner class, which only an instance of "
              + c.getEnclosingClass().getName()
              + " could rebuild (make it static)");
    }
    if (!hasCreator(c)) {
      return Optional.of(
          "it has no constructor without parameters to rebuild it with (nor a @JsonCreator)");
    }
    return Optional.empty();
  }

  private static boolean hasCreator(Class<?> c) {
    return Stream.of(c.getDeclaredConstructors()).anyMatch(k -> k.getParameterCount() == 0)
        || Stream.<Executable>concat(
                Stream.of(c.getDeclaredConstructors()), Stream.of(c.getDeclaredMethods()))
            .anyMatch(m -> m.isAnnotationPresent(JsonCreator.class));
  }

  /** The Jackson module that refuses, while encoding, every instance that is not a value. */
  static Module module() {
    return new Module() {
      @Override
      public String getModuleName() {
        return "skiff-payload-values";
      }

      @Override
      public Version version() {
        return Version.unknownVersion();
      }

      @Override
      public void setupModule(SetupContext context) {
        context.addSerializers(new Refusals(WHY_NOT_VALUE, false));
        context.addKeySerializers(new Refusals(WHY_NOT_KEY, true));
      }
    };
  }

  /**
   * A message for a value refused while {@code what} was encoded as {@code declared}: the path from
   * {@code what} to the refused value, its class, why, and what is allowed.
   */
  static String describe(NotAValueException e, String what, Object root, Type declared) {
    StringBuilder path = new StringBuilder(what);
    List<JsonMappingException.Reference> refs = e.getPath();
    if (e.key() && !refs.isEmpty() && refs.get(refs.size() - 1).getFrom() instanceof Map<?, ?>) {
      // The entry Jackson names is the refused key itself.
      refs = refs.subList(0, refs.size() - 1);
    }
    for (JsonMappingException.Reference r : refs) {
      path.append(" → ");
      if (r.getFrom() instanceof Map<?, ?>) {
        path.append("entry '").append(r.getFieldName()).append('\'');
      } else if (r.getFieldName() == null) {
        path.append("element ").append(r.getIndex());
      } else {
        path.append("field ").append(r.getFieldName());
      }
    }
    return path
        + (e.key() ? " → key " : " → ")
        + e.refused().getName()
        + " cannot be encoded: "
        + e.why()
        + " ("
        + what
        + " is a "
        + (root == null ? "null" : root.getClass().getName())
        + ", declared as "
        + declared.getTypeName()
        + "; allowed: "
        + PayloadCodec.ALLOWED
        + ")";
  }

  /** A value that is not one payloads carry, met while encoding; Jackson adds its path. */
  static final class NotAValueException extends JsonMappingException {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("serial") // A Class is serializable; the field is for messages only.
    private final Class<?> refused;

    private final String why;
    private final boolean key;

    NotAValueException(JsonGenerator g, Class<?> refused, String why, boolean key) {
      super(g, refused.getName() + " is not a value payloads carry: " + why);
      this.refused = refused;
      this.why = why;
      this.key = key;
    }

    /** Whether the refused value was a map key. */
    boolean key() {
      return key;
    }

    Class<?> refused() {
      return refused;
    }

    String why() {
      return why;
    }
  }

  /**
   * Returns, for a class whose instances are not values (or, for keys, not map keys), a serializer
   * that refuses them.
   */
  private static final class Refusals extends Serializers.Base {
    private final ClassValue<Optional<String>> rule;
    private final boolean keys;

    Refusals(ClassValue<Optional<String>> rule, boolean keys) {
      this.rule = rule;
      this.keys = keys;
    }

    @Override
    public JsonSerializer<?> findSerializer(
        SerializationConfig config, JavaType type, BeanDescription beanDesc) {
      return refusing(type.getRawClass());
    }

    @Override
    public JsonSerializer<?> findReferenceSerializer(
        SerializationConfig config,
        ReferenceType type,
        BeanDescription beanDesc,
        TypeSerializer contentTypeSerializer,
        JsonSerializer<Object> contentValueSerializer) {
      // Optional is a value; other reference types (AtomicReference) are not.
      return refusing(type.getRawClass());
    }

    private JsonSerializer<?> refusing(Class<?> c) {
      return rule.get(c)
          .<JsonSerializer<?>>map(why -> new Refusing(c, rule, why, keys))
          .orElse(null);
    }
  }

  /** Refuses every instance of one class. */
  private static final class Refusing extends StdSerializer<Object> {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("serial") // Serializers are not serialized.
    private final ClassValue<Optional<String>> rule;

    private final String why;
    private final boolean key;

    Refusing(Class<?> c, ClassValue<Optional<String>> rule, String why, boolean key) {
      super(c, false);
      this.rule = rule;
      this.why = why;
      this.key = key;
    }

    @Override
    public void serialize(Object value, JsonGenerator g, SerializerProvider provider)
        throws NotAValueException {
      Class<?> c = value.getClass();
      throw new NotAValueException(g, c, rule.get(c).orElse(why), key);
    }
  }
}
