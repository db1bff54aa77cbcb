package dev.skiff.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.MapperBuilder;
import com.fasterxml.jackson.databind.deser.AbstractDeserializer;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.ser.impl.UnknownSerializer;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.skiff.PayloadException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Encodes arguments, results and generator items by the Java types a function declares, as CBOR
 * through Jackson. Never uses Java serialization: a payload can only ever become a value of the
 * declared type (records, enums, collections, maps, arrays, primitives and boxes, {@code String},
 * {@code byte[]}, {@code Optional}, {@code java.time} values, {@code BigDecimal}, {@code
 * BigInteger}, {@code UUID}, {@code URI}, beans that can be rebuilt, and {@code null}). Anything
 * else met while encoding is refused, naming the path to it ({@link PayloadValues}).
 *
 * <p>A {@link Signature} holds the readers and writers of one method, built once when the function
 * is defined, so a call allocates no codec objects. Thread-safe.
 */
public final class PayloadCodec {
  // Calls run on virtual threads, one per input: Jackson's default per-thread buffer recycling
  // would give every call fresh 8 KB buffers. A shared pool reuses them across threads.
  static final ObjectMapper MAPPER =
      withValueRules(
              CBORMapper.builder(
                  CBORFactory.builder()
                      .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                      .build()))
          .build();

  /**
   * A JSON mapper that reads and writes values by the same rules as payloads (for web endpoints,
   * which speak JSON).
   */
  public static ObjectMapper jsonMapper() {
    return withValueRules(
            JsonMapper.builder(
                JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                    .build()))
        .build();
  }

  private static <M extends ObjectMapper, B extends MapperBuilder<M, B>> B withValueRules(
      B builder) {
    return builder
        .addModule(new Jdk8Module())
        .addModule(new JavaTimeModule())
        .addModule(PayloadValues.module())
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        // A decimal where a whole number is declared is refused, never truncated (1.5 is not 1).
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        // A ZonedDateTime or OffsetDateTime comes back equal: its zone and offset as they were,
        // not the same instant moved to UTC.
        .enable(SerializationFeature.WRITE_DATES_WITH_ZONE_ID)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE);
  }

  /** The default largest encoded payload (arguments, result or item): 256 MiB. */
  public static final long DEFAULT_MAX_PAYLOAD_BYTES = 256L * 1024 * 1024;

  /** The system property that overrides the largest payload, in bytes. */
  public static final String MAX_PAYLOAD_PROPERTY = "skiff.maxPayloadBytes";

  private PayloadCodec() {}

  /** The largest encoded payload allowed now: {@value #MAX_PAYLOAD_PROPERTY} or 256 MiB. */
  public static long maxPayloadBytes() {
    String v = System.getProperty(MAX_PAYLOAD_PROPERTY);
    if (v == null) {
      return DEFAULT_MAX_PAYLOAD_BYTES;
    }
    try {
      return Math.min(Long.parseLong(v.trim()), DEFAULT_MAX_PAYLOAD_BYTES);
    } catch (NumberFormatException e) {
      throw new PayloadException(
          MAX_PAYLOAD_PROPERTY
              + " is '"
              + v
              + "'; allowed is a number of bytes up to "
              + DEFAULT_MAX_PAYLOAD_BYTES);
    }
  }

  /**
   * Checks an encoded payload's size against the limit.
   *
   * @throws PayloadException naming the size and the limit when it is too large
   */
  public static byte[] checkSize(byte[] bytes, String what) {
    long max = maxPayloadBytes();
    if (bytes.length > max) {
      throw new PayloadException(
          what
              + " is "
              + mib(bytes.length)
              + " encoded; the largest payload allowed is "
              + mib(max)
              + " ("
              + MAX_PAYLOAD_PROPERTY
              + ")");
    }
    return bytes;
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB (%d bytes)", bytes / 1048576.0, bytes);
  }

  /** What payloads may hold, as error messages say it. */
  public static final String ALLOWED =
      "records, enums, collections, maps, arrays, primitives and boxes,"
          + " String, byte[], Optional, java.time values, BigDecimal, BigInteger, UUID, URI,"
          + " beans with a constructor without parameters, null";

  /** The whole-number types and their ranges ({@code min, max}; none for BigInteger). */
  private static final Map<Class<?>, long[]> WHOLE_NUMBER_RANGES =
      Map.of(
          byte.class, new long[] {Byte.MIN_VALUE, Byte.MAX_VALUE},
          Byte.class, new long[] {Byte.MIN_VALUE, Byte.MAX_VALUE},
          short.class, new long[] {Short.MIN_VALUE, Short.MAX_VALUE},
          Short.class, new long[] {Short.MIN_VALUE, Short.MAX_VALUE},
          int.class, new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE},
          Integer.class, new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE},
          long.class, new long[] {Long.MIN_VALUE, Long.MAX_VALUE},
          Long.class, new long[] {Long.MIN_VALUE, Long.MAX_VALUE},
          BigInteger.class, new long[0]);

  /** The codec of one value type. */
  public static ValueCodec forType(Type type) {
    JavaType javaType = MAPPER.getTypeFactory().constructType(type);
    return new ValueCodec(type, MAPPER.writerFor(javaType), MAPPER.readerFor(javaType));
  }

  /** The codec of a parameter list. */
  public static ArgsCodec forParameters(Type[] types) {
    ValueCodec[] codecs = new ValueCodec[types.length];
    for (int i = 0; i < types.length; i++) {
      codecs[i] = forType(types[i]);
    }
    return new ArgsCodec(codecs);
  }

  /** Encodes and decodes one value of a declared type. */
  public static final class ValueCodec {
    private final Type type;
    private final ObjectWriter writer;
    private final ObjectReader reader;

    ValueCodec(Type type, ObjectWriter writer, ObjectReader reader) {
      this.type = type;
      this.writer = writer;
      this.reader = reader;
    }

    /** The declared type. */
    public Type type() {
      return type;
    }

    /**
     * Why values of the declared type can never be carried, found by asking Jackson for the type's
     * deserializer and (for a concrete class) serializer now; empty when they can be. An abstract
     * type that Jackson cannot make concrete, or a class with no properties, is refused; a type
     * whose values are encoded by their runtime class ({@code Object}, interfaces, abstract
     * classes) is checked for decoding only.
     */
    public Optional<String> unsupportedReason() {
      JavaType javaType = MAPPER.getTypeFactory().constructType(type);
      try {
        DeserializationContext context =
            ((DefaultDeserializationContext) MAPPER.getDeserializationContext())
                .createInstance(MAPPER.getDeserializationConfig(), null, null);
        if (context.findRootValueDeserializer(javaType) instanceof AbstractDeserializer) {
          return Optional.of("it is abstract, and a value cannot be built from its fields");
        }
        Class<?> raw = javaType.getRawClass();
        if (raw != Object.class
            && !raw.isInterface()
            && !Modifier.isAbstract(raw.getModifiers())
            && MAPPER.getSerializerProviderInstance().findValueSerializer(javaType)
                instanceof UnknownSerializer) {
          return Optional.of("it has no properties to encode");
        }
      } catch (IOException | RuntimeException e) {
        return Optional.of(rootMessage(e));
      }
      return Optional.empty();
    }

    /**
     * Encodes a value.
     *
     * @throws PayloadException if the value cannot be encoded as the declared type
     */
    public byte[] encode(Object value, String what) {
      checkPrimitive(value, what);
      byte[] bytes;
      try {
        bytes = writer.writeValueAsBytes(value);
      } catch (IOException | RuntimeException e) {
        throw cannotEncode(what, value, e);
      }
      return checkSize(bytes, what);
    }

    /**
     * Decodes a value.
     *
     * @throws PayloadException if the bytes are not a value of the declared type
     */
    public Object decode(byte[] bytes, String what) {
      try {
        return reader.readValue(bytes);
      } catch (IOException | RuntimeException e) {
        throw new PayloadException(
            what + " could not be decoded as " + type.getTypeName() + ": " + rootMessage(e), e);
      }
    }

    void write(JsonGenerator g, Object value, String what) {
      checkPrimitive(value, what);
      try {
        writer.writeValue(g, value);
      } catch (IOException | RuntimeException e) {
        throw cannotEncode(what, value, e);
      }
    }

    Object read(JsonParser p, String what) {
      checkWholeNumber(p, what);
      try {
        return reader.readValue(p);
      } catch (IOException | RuntimeException e) {
        throw new PayloadException(
            what + " could not be decoded as " + type.getTypeName() + ": " + rootMessage(e), e);
      }
    }

    /**
     * Refuses a number at the parser's current token that the declared whole-number type cannot
     * hold exactly: a decimal, or one out of the type's range (Jackson alone would read 200 as the
     * byte -56).
     */
    private void checkWholeNumber(JsonParser p, String what) {
      if (!(type instanceof Class<?> c) || !WHOLE_NUMBER_RANGES.containsKey(c)) {
        return;
      }
      JsonToken t = p.currentToken();
      if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
        return;
      }
      long[] range = WHOLE_NUMBER_RANGES.get(c);
      boolean fits;
      String text;
      try {
        text = p.getText();
        BigInteger v = t == JsonToken.VALUE_NUMBER_INT ? p.getBigIntegerValue() : null;
        fits =
            v != null
                && (range.length == 0
                    || (v.compareTo(BigInteger.valueOf(range[0])) >= 0
                        && v.compareTo(BigInteger.valueOf(range[1])) <= 0));
      } catch (IOException e) {
        throw new PayloadException(
            what + " could not be decoded as " + type.getTypeName() + ": " + rootMessage(e), e);
      }
      if (!fits) {
        throw new PayloadException(
            what
                + " is "
                + text
                + ", which does not fit its type "
                + c.getTypeName()
                + ": allowed are whole numbers"
                + (range.length == 0 ? "" : " from " + range[0] + " to " + range[1]));
      }
    }

    private void checkPrimitive(Object value, String what) {
      if (value == null && type instanceof Class<?> c && c.isPrimitive()) {
        throw new PayloadException(
            what + " is null, but its type " + c.getName() + " is primitive");
      }
      if (value == null && type instanceof Class<?> c && c != Object.class) {
        // A non-null value is checked as it is written; a null of a type that is not a value
        // could not be decoded on the other side either.
        PayloadValues.whyNot(c)
            .ifPresent(
                why -> {
                  throw new PayloadException(
                      what
                          + " is null, but its declared type "
                          + c.getName()
                          + " is not a value payloads carry: "
                          + why
                          + " (allowed: "
                          + ALLOWED
                          + ")");
                });
      }
    }

    private PayloadException cannotEncode(String what, Object value, Exception e) {
      for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
        if (t instanceof PayloadValues.NotAValueException notAValue) {
          return new PayloadException(PayloadValues.describe(notAValue, what, value, type), e);
        }
      }
      return new PayloadException(
          what
              + " of type "
              + (value == null ? "null" : value.getClass().getName())
              + " cannot be encoded as "
              + type.getTypeName()
              + ": "
              + rootMessage(e)
              + " (allowed: "
              + ALLOWED
              + ")",
          e);
    }
  }

  /** Encodes and decodes a whole argument list as one CBOR array. */
  public static final class ArgsCodec {
    private final ValueCodec[] codecs;

    ArgsCodec(ValueCodec[] codecs) {
      this.codecs = codecs;
    }

    /** How many arguments the function takes. */
    public int arity() {
      return codecs.length;
    }

    /**
     * Encodes the arguments of one call.
     *
     * @throws PayloadException naming the argument's position (1-based) and type if one cannot be
     *     encoded
     */
    public byte[] encode(Object[] args, String function) {
      return encode(args, function, "");
    }

    /**
     * Encodes the arguments of one call, naming the function followed by {@code where} (such as
     * {@code " (map input 3)"}) in messages.
     *
     * @throws PayloadException naming the argument's position (1-based) and type, and the path to
     *     the value inside it that cannot be encoded
     */
    public byte[] encode(Object[] args, String function, String where) {
      String name = "'" + function + "'" + where;
      if (args.length != codecs.length) {
        throw new PayloadException(
            "function " + name + " takes " + codecs.length + " argument(s), got " + args.length);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(32 + 16 * args.length);
      try (JsonGenerator g = MAPPER.createGenerator(out)) {
        g.writeStartArray(args, args.length);
        for (int i = 0; i < args.length; i++) {
          codecs[i].write(g, args[i], "argument " + (i + 1) + " of " + name);
        }
        g.writeEndArray();
      } catch (IOException e) {
        throw new PayloadException("arguments of " + name + " could not be encoded: " + e, e);
      }
      return checkSize(out.toByteArray(), "the arguments of " + name);
    }

    /**
     * Decodes the arguments of one call.
     *
     * @throws PayloadException naming the argument that could not be decoded
     */
    public Object[] decode(byte[] bytes, String function) {
      Object[] args = new Object[codecs.length];
      try (JsonParser p = MAPPER.createParser(bytes)) {
        if (p.nextToken() != JsonToken.START_ARRAY) {
          throw new PayloadException("arguments of '" + function + "' are not an array");
        }
        for (int i = 0; i < codecs.length; i++) {
          if (p.nextToken() == JsonToken.END_ARRAY) {
            throw new PayloadException(
                "function '" + function + "' takes " + codecs.length + " argument(s), got " + i);
          }
          args[i] = codecs[i].read(p, "argument " + (i + 1) + " of '" + function + "'");
        }
        int got = codecs.length;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
          if (t == null) {
            throw new PayloadException("arguments of '" + function + "' end before their array");
          }
          p.skipChildren();
          got++;
        }
        if (got != codecs.length) {
          throw new PayloadException(
              "function '" + function + "' takes " + codecs.length + " argument(s), got " + got);
        }
      } catch (IOException e) {
        throw new PayloadException("arguments of '" + function + "' could not be decoded: " + e, e);
      }
      return args;
    }
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    int nl = m.indexOf('\n');
    return nl > 0 ? m.substring(0, nl) : m;
  }
}
