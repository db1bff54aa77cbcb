package dev.skiff.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.PayloadException;
import dev.skiff.TypeRef;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The payload codec on its own: every kind of value it promises to carry comes back equal and of
 * the same type, and every way a value or payload can be wrong fails with a message that says what,
 * the type, and why.
 */
class PayloadCodecTest {
  enum Colour {
    RED,
    GREEN
  }

  record Point(int x, int y) {}

  record Shape(
      String name, List<Point> corners, Map<String, Colour> fills, Optional<Point> centre) {}

  /** A plain bean: a no-argument constructor, getters and setters. */
  public static final class Bean {
    private String name;
    private long size;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public long getSize() {
      return size;
    }

    public void setSize(long size) {
      this.size = size;
    }
  }

  /** Neither a record, a bean nor any other kind the codec carries: no properties at all. */
  static final class Opaque {
    @SuppressWarnings("unused")
    private final int hidden = 1;
  }

  @AfterEach
  void clearLimit() {
    System.clearProperty(PayloadCodec.MAX_PAYLOAD_PROPERTY);
  }

  private static Type type(TypeRef<?> ref) {
    return ref.type();
  }

  /** Encodes {@code value} as {@code type} and decodes it again. */
  private static Object roundTrip(Type type, Object value) {
    PayloadCodec.ValueCodec codec = PayloadCodec.forType(type);
    return codec.decode(codec.encode(value, "the value"), "the value");
  }

  @Test
  void primitivesBoxesAndStringsComeBackEqualAndOfTheirType() {
    assertThat(roundTrip(int.class, 42)).isEqualTo(42);
    assertThat(roundTrip(long.class, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
    assertThat(roundTrip(short.class, (short) -7)).isEqualTo((short) -7);
    assertThat(roundTrip(byte.class, (byte) 0x7f)).isEqualTo((byte) 0x7f);
    assertThat(roundTrip(char.class, 'é')).isEqualTo('é');
    assertThat(roundTrip(boolean.class, true)).isEqualTo(true);
    assertThat(roundTrip(double.class, 0.1)).isEqualTo(0.1);
    assertThat(roundTrip(float.class, 1.5f)).isEqualTo(1.5f);
    assertThat(roundTrip(double.class, Double.NaN)).isEqualTo(Double.NaN);
    assertThat(roundTrip(Integer.class, Integer.MIN_VALUE)).isEqualTo(Integer.MIN_VALUE);
    assertThat(roundTrip(Long.class, -1L)).isExactlyInstanceOf(Long.class).isEqualTo(-1L);
    assertThat(roundTrip(String.class, "grüße, 世界\n")).isEqualTo("grüße, 世界\n");
    assertThat(roundTrip(String.class, "")).isEqualTo("");
    assertThat(roundTrip(BigDecimal.class, new BigDecimal("12345678901234567890.000123")))
        .isEqualTo(new BigDecimal("12345678901234567890.000123"));
    assertThat(roundTrip(BigInteger.class, BigInteger.TWO.pow(100)))
        .isEqualTo(BigInteger.TWO.pow(100));
    assertThat(roundTrip(UUID.class, new UUID(1, 2))).isEqualTo(new UUID(1, 2));
  }

  @Test
  void bytesAndArraysComeBackWithTheSameContents() {
    byte[] bytes = {0, 1, -1, 127, -128};
    assertThat((byte[]) roundTrip(byte[].class, bytes)).containsExactly(bytes);
    assertThat((byte[]) roundTrip(byte[].class, new byte[0])).isEmpty();
    assertThat((int[]) roundTrip(int[].class, new int[] {3, 1, 2})).containsExactly(3, 1, 2);
    assertThat((String[]) roundTrip(String[].class, new String[] {"a", null}))
        .containsExactly("a", null);
    assertThat((Point[][]) roundTrip(Point[][].class, new Point[][] {{new Point(1, 2)}, {}}))
        .isDeepEqualTo(new Point[][] {{new Point(1, 2)}, {}});
  }

  @Test
  void recordsNestedRecordsEnumsAndBeansComeBackEqual() {
    Shape shape =
        new Shape(
            "square",
            List.of(new Point(0, 0), new Point(0, 1), new Point(1, 1), new Point(1, 0)),
            Map.of("inside", Colour.RED, "edge", Colour.GREEN),
            Optional.of(new Point(0, 0)));
    assertThat(roundTrip(Shape.class, shape)).isExactlyInstanceOf(Shape.class).isEqualTo(shape);
    Shape empty = new Shape("none", List.of(), Map.of(), Optional.empty());
    assertThat(roundTrip(Shape.class, empty)).isEqualTo(empty);
    assertThat(roundTrip(Colour.class, Colour.GREEN)).isSameAs(Colour.GREEN);

    Bean bean = new Bean();
    bean.setName("b");
    bean.setSize(9);
    Bean back = (Bean) roundTrip(Bean.class, bean);
    assertThat(back.getName()).isEqualTo("b");
    assertThat(back.getSize()).isEqualTo(9);
  }

  @Test
  void collectionsAndMapsComeBackByTheirDeclaredGenericTypes() {
    Type points = type(new TypeRef<List<Point>>() {});
    assertThat(roundTrip(points, List.of(new Point(1, 2))))
        .isInstanceOf(ArrayList.class)
        .isEqualTo(List.of(new Point(1, 2)));
    assertThat(roundTrip(type(new TypeRef<Set<Colour>>() {}), Set.of(Colour.RED)))
        .isInstanceOf(HashSet.class)
        .isEqualTo(Set.of(Colour.RED));
    Map<Integer, List<Optional<String>>> nested = new TreeMap<>();
    nested.put(1, List.of(Optional.of("one"), Optional.empty()));
    nested.put(2, List.of());
    assertThat(roundTrip(type(new TypeRef<Map<Integer, List<Optional<String>>>>() {}), nested))
        .isInstanceOf(LinkedHashMap.class)
        .isEqualTo(nested);
    assertThat(roundTrip(type(new TypeRef<TreeMap<String, Long>>() {}), new TreeMap<>()))
        .isExactlyInstanceOf(TreeMap.class);
    Map<Colour, Point> byEnum = new HashMap<>(Map.of(Colour.RED, new Point(5, 5)));
    assertThat(roundTrip(type(new TypeRef<Map<Colour, Point>>() {}), byEnum)).isEqualTo(byEnum);
  }

  @Test
  void optionalsAndNullComeBackAsThemselves() {
    Type optionalPoint = type(new TypeRef<Optional<Point>>() {});
    assertThat(roundTrip(optionalPoint, Optional.of(new Point(1, 1))))
        .isEqualTo(Optional.of(new Point(1, 1)));
    assertThat(roundTrip(optionalPoint, Optional.empty())).isEqualTo(Optional.empty());
    assertThat(roundTrip(OptionalInt.class, OptionalInt.of(3))).isEqualTo(OptionalInt.of(3));
    assertThat(roundTrip(String.class, null)).isNull();
    assertThat(roundTrip(Point.class, null)).isNull();
    assertThat(roundTrip(type(new TypeRef<List<String>>() {}), null)).isNull();
    List<String> withNull = new ArrayList<>();
    withNull.add(null);
    assertThat(roundTrip(type(new TypeRef<List<String>>() {}), withNull)).isEqualTo(withNull);
  }

  @Test
  void javaTimeValuesComeBackEqualWithTheirZonesAndOffsets() {
    Instant instant = Instant.parse("2024-03-31T01:30:00.123456789Z");
    assertThat(roundTrip(Instant.class, instant)).isEqualTo(instant);
    assertThat(roundTrip(Duration.class, Duration.ofMillis(90_061_001)))
        .isEqualTo(Duration.ofMillis(90_061_001));
    assertThat(roundTrip(LocalDate.class, LocalDate.of(2024, 2, 29)))
        .isEqualTo(LocalDate.of(2024, 2, 29));
    assertThat(roundTrip(LocalTime.class, LocalTime.of(23, 59, 59, 1)))
        .isEqualTo(LocalTime.of(23, 59, 59, 1));
    assertThat(roundTrip(LocalDateTime.class, LocalDateTime.of(2024, 1, 2, 3, 4)))
        .isEqualTo(LocalDateTime.of(2024, 1, 2, 3, 4));
    OffsetDateTime offset = OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHours(2));
    assertThat(roundTrip(OffsetDateTime.class, offset)).isEqualTo(offset);
    ZonedDateTime zoned = ZonedDateTime.of(2024, 3, 31, 3, 30, 0, 0, ZoneId.of("Europe/Paris"));
    assertThat(roundTrip(ZonedDateTime.class, zoned)).isEqualTo(zoned);
    assertThat(roundTrip(ZoneId.class, ZoneId.of("Asia/Kolkata")))
        .isEqualTo(ZoneId.of("Asia/Kolkata"));
  }

  @Test
  void unknownFieldsOfARecordAreIgnoredSoThatAddingOneDoesNotBreakOldReaders() {
    byte[] shape =
        PayloadCodec.forType(Shape.class)
            .encode(new Shape("s", List.of(), Map.of(), Optional.empty()), "the value");
    // Read as a record that has only the first field.
    record NameOnly(String name) {}
    assertThat(PayloadCodec.forType(NameOnly.class).decode(shape, "the value"))
        .isEqualTo(new NameOnly("s"));
  }

  @Test
  @SuppressWarnings("rawtypes")
  void aTypeTokenWithoutATypeArgumentIsRefused() {
    assertThatThrownBy(() -> new TypeRef() {})
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessage("TypeRef needs a type argument: new TypeRef<List<String>>() {}");
  }

  @Test
  void argumentListsRoundTripByTheirParameterTypes() {
    PayloadCodec.ArgsCodec args =
        PayloadCodec.forParameters(
            new Type[] {int.class, String.class, type(new TypeRef<List<Point>>() {})});
    Object[] values = {7, null, List.of(new Point(1, 2))};

    assertThat(args.arity()).isEqualTo(3);
    assertThat(args.decode(args.encode(values, "f"), "f")).containsExactly(values);
    PayloadCodec.ArgsCodec none = PayloadCodec.forParameters(new Type[0]);
    assertThat(none.decode(none.encode(new Object[0], "f"), "f")).isEmpty();
  }

  // ------------------------------------------------------------------ failures

  private static final String ALLOWED =
      " (allowed: records, enums, collections, maps, arrays, primitives and boxes, String, byte[],"
          + " Optional, java.time values, BigDecimal, BigInteger, UUID, URI, beans with a"
          + " constructor without parameters, null)";

  @Test
  void aValueOfAnUnsupportedTypeIsRefusedNamingItsTypeAndWhatIsAllowed() {
    assertThatThrownBy(() -> PayloadCodec.forType(Opaque.class).encode(new Opaque(), "the result"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage(
            "the result of type dev.skiff.internal.PayloadCodecTest$Opaque cannot be encoded as"
                + " dev.skiff.internal.PayloadCodecTest$Opaque: No serializer found for class"
                + " dev.skiff.internal.PayloadCodecTest$Opaque and no properties discovered to"
                + " create BeanSerializer (to avoid exception, disable"
                + " SerializationFeature.FAIL_ON_EMPTY_BEANS)"
                + ALLOWED);
  }

  @Test
  void aValueOfAnotherTypeThanDeclaredIsRefused() {
    // Through a raw or unchecked call, a String where an Integer is declared.
    assertThatThrownBy(() -> PayloadCodec.forType(Integer.class).encode("seven", "argument 1"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 1 of type java.lang.String cannot be encoded as java.lang.Integer: ")
        .hasMessageEndingWith(ALLOWED);
  }

  @Test
  void nullForAPrimitiveIsRefusedBothWays() {
    assertThatThrownBy(() -> PayloadCodec.forType(int.class).encode(null, "the result"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage("the result is null, but its type int is primitive");
    byte[] nullPayload = PayloadCodec.forType(Integer.class).encode(null, "the value");
    assertThatThrownBy(() -> PayloadCodec.forType(int.class).decode(nullPayload, "the result"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage(
            "the result could not be decoded as int: Cannot map `null` into type `int` (set"
                + " DeserializationConfig.DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES to"
                + " 'false' to allow)");
  }

  @Test
  void corruptBytesAreRefusedNamingTheDeclaredType() {
    byte[] corrupt = {(byte) 0xff, (byte) 0xfe, 0x00, 0x12};
    assertThatThrownBy(() -> PayloadCodec.forType(Point.class).decode(corrupt, "the result"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "the result could not be decoded as dev.skiff.internal.PayloadCodecTest$Point: ");
    byte[] truncated = PayloadCodec.forType(String.class).encode("a longer string", "the value");
    byte[] cut = Arrays.copyOf(truncated, truncated.length - 3);
    assertThatThrownBy(() -> PayloadCodec.forType(String.class).decode(cut, "the result"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("the result could not be decoded as java.lang.String: ");
  }

  @Test
  void aPayloadOfAnotherTypeIsRefusedRatherThanConverted() {
    byte[] text = PayloadCodec.forType(String.class).encode("abc", "the value");
    assertThatThrownBy(() -> PayloadCodec.forType(int.class).decode(text, "the result"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("the result could not be decoded as int: ");
    byte[] point = PayloadCodec.forType(Point.class).encode(new Point(1, 2), "the value");
    assertThatThrownBy(
            () ->
                PayloadCodec.forType(type(new TypeRef<List<Point>>() {}))
                    .decode(point, "the result"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "the result could not be decoded as"
                + " java.util.List<dev.skiff.internal.PayloadCodecTest$Point>: ");
    byte[] name = PayloadCodec.forType(String.class).encode("BLUE", "the value");
    assertThatThrownBy(() -> PayloadCodec.forType(Colour.class).decode(name, "the result"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "the result could not be decoded as dev.skiff.internal.PayloadCodecTest$Colour: ")
        .hasMessageContaining("BLUE");
  }

  @Test
  void aPayloadOverTheLimitIsRefusedWithItsSizeAndTheLimit() {
    System.setProperty(PayloadCodec.MAX_PAYLOAD_PROPERTY, "16");
    assertThatThrownBy(
            () -> PayloadCodec.forType(byte[].class).encode(new byte[100], "argument 1 of 'f'"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage(
            "argument 1 of 'f' is 0.0 MiB (102 bytes) encoded; the largest payload allowed is"
                + " 0.0 MiB (16 bytes) (skiff.maxPayloadBytes)");
    // 15 bytes and a one-byte CBOR header: exactly at the limit.
    assertThat(PayloadCodec.forType(byte[].class).encode(new byte[15], "argument 1 of 'f'"))
        .hasSize(16);
  }

  @Test
  void theLimitCanBeLoweredButNotRaisedAndMustBeANumber() {
    assertThat(PayloadCodec.maxPayloadBytes()).isEqualTo(256L * 1024 * 1024);
    System.setProperty(PayloadCodec.MAX_PAYLOAD_PROPERTY, " 1024 ");
    assertThat(PayloadCodec.maxPayloadBytes()).isEqualTo(1024);
    System.setProperty(PayloadCodec.MAX_PAYLOAD_PROPERTY, "999999999999");
    assertThat(PayloadCodec.maxPayloadBytes()).isEqualTo(PayloadCodec.DEFAULT_MAX_PAYLOAD_BYTES);
    System.setProperty(PayloadCodec.MAX_PAYLOAD_PROPERTY, "1 MiB");
    assertThatThrownBy(PayloadCodec::maxPayloadBytes)
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage(
            "skiff.maxPayloadBytes is '1 MiB'; allowed is a number of bytes up to 268435456");
  }

  @Test
  void anArgumentThatCannotBeEncodedIsNamedByItsPosition() {
    PayloadCodec.ArgsCodec args = PayloadCodec.forParameters(new Type[] {int.class, Object.class});
    assertThatThrownBy(() -> args.encode(new Object[] {1, new Opaque()}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 2 of 'f' of type dev.skiff.internal.PayloadCodecTest$Opaque cannot be"
                + " encoded as java.lang.Object: ");
    assertThatThrownBy(() -> args.encode(new Object[] {null, 1}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage("argument 1 of 'f' is null, but its type int is primitive");
  }

  @Test
  void aNumberThatDoesNotFitTheParameterTypeIsRefusedNotTruncatedOrWrapped() throws Exception {
    // What `skiff call f 1.5` or a web request sends: numbers as the caller wrote them.
    byte[] decimal = PayloadCodec.MAPPER.writeValueAsBytes(List.of(1.5));
    assertThatThrownBy(
            () -> PayloadCodec.forParameters(new Type[] {Integer.class}).decode(decimal, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage(
            "argument 1 of 'f' is 1.5, which does not fit its type java.lang.Integer: allowed are"
                + " whole numbers from -2147483648 to 2147483647");
    assertThatThrownBy(
            () -> PayloadCodec.forParameters(new Type[] {long.class}).decode(decimal, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage(
            "argument 1 of 'f' is 1.5, which does not fit its type long: allowed are whole numbers"
                + " from -9223372036854775808 to 9223372036854775807");
    assertThatThrownBy(
            () -> PayloadCodec.forParameters(new Type[] {BigInteger.class}).decode(decimal, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage(
            "argument 1 of 'f' is 1.5, which does not fit its type java.math.BigInteger: allowed"
                + " are whole numbers");

    PayloadCodec.ArgsCodec bytes = PayloadCodec.forParameters(new Type[] {int.class, byte.class});
    // Jackson alone would read 200 as the byte -56, and 300 is out of any byte's range.
    for (int outOfRange : new int[] {200, 300, -129}) {
      byte[] payload = PayloadCodec.MAPPER.writeValueAsBytes(List.of(1, outOfRange));
      assertThatThrownBy(() -> bytes.decode(payload, "f"))
          .isExactlyInstanceOf(PayloadException.class)
          .hasMessage(
              "argument 2 of 'f' is "
                  + outOfRange
                  + ", which does not fit its type byte: allowed are whole numbers from -128 to"
                  + " 127");
    }
    byte[] tooLong = PayloadCodec.MAPPER.writeValueAsBytes(List.of(3_000_000_000L));
    assertThatThrownBy(
            () -> PayloadCodec.forParameters(new Type[] {int.class}).decode(tooLong, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage(
            "argument 1 of 'f' is 3000000000, which does not fit its type int: allowed are whole"
                + " numbers from -2147483648 to 2147483647");
    // A decimal inside a value is refused too, not truncated.
    byte[] point = PayloadCodec.MAPPER.writeValueAsBytes(List.of(Map.of("x", 1.5, "y", 2)));
    assertThatThrownBy(
            () -> PayloadCodec.forParameters(new Type[] {Point.class}).decode(point, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("argument 1 of 'f' could not be decoded as ")
        .hasMessageContaining("1.5");

    PayloadCodec.ArgsCodec fitting =
        PayloadCodec.forParameters(
            new Type[] {byte.class, short.class, Integer.class, long.class, double.class});
    byte[] edges =
        PayloadCodec.MAPPER.writeValueAsBytes(
            List.of(-128, 32767, Integer.MIN_VALUE, Long.MAX_VALUE, 2));
    assertThat(fitting.decode(edges, "f"))
        .containsExactly((byte) -128, (short) 32767, Integer.MIN_VALUE, Long.MAX_VALUE, 2.0);
  }

  @Test
  void theWrongNumberOfArgumentsIsRefusedBothWays() {
    PayloadCodec.ArgsCodec two = PayloadCodec.forParameters(new Type[] {int.class, int.class});
    PayloadCodec.ArgsCodec three =
        PayloadCodec.forParameters(new Type[] {int.class, int.class, int.class});
    PayloadCodec.ArgsCodec one = PayloadCodec.forParameters(new Type[] {int.class});

    assertThatThrownBy(() -> two.encode(new Object[] {1}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage("function 'f' takes 2 argument(s), got 1");
    assertThatThrownBy(() -> two.decode(one.encode(new Object[] {1}, "f"), "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage("function 'f' takes 2 argument(s), got 1");
    assertThatThrownBy(() -> two.decode(three.encode(new Object[] {1, 2, 3}, "f"), "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage("function 'f' takes 2 argument(s), got 3");
  }

  @Test
  void argumentsThatAreNotAListOrNotOfTheirTypesAreRefusedNamingTheArgument() {
    PayloadCodec.ArgsCodec two = PayloadCodec.forParameters(new Type[] {int.class, Point.class});
    byte[] notAList = PayloadCodec.forType(int.class).encode(5, "the value");
    assertThatThrownBy(() -> two.decode(notAList, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage("arguments of 'f' are not an array");
    byte[] wrongSecond =
        PayloadCodec.forParameters(new Type[] {int.class, String.class})
            .encode(new Object[] {1, "x"}, "f");
    assertThatThrownBy(() -> two.decode(wrongSecond, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 2 of 'f' could not be decoded as"
                + " dev.skiff.internal.PayloadCodecTest$Point: ");
    // A definite array of 3 that holds only 2.
    PayloadCodec.ArgsCodec ints = PayloadCodec.forParameters(new Type[] {int.class, int.class});
    assertThatThrownBy(() -> ints.decode(new byte[] {(byte) 0x83, 0x01, 0x02}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("arguments of 'f' ");
    assertThatThrownBy(() -> two.decode(new byte[] {(byte) 0x82, 0x1c}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("arguments of 'f' could not be decoded: ");
  }
}
