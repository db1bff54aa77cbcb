package dev.skiff.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.PayloadException;
import dev.skiff.TypeRef;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

/**
 * Which values payloads carry: anything that is not a value (a thread, a socket, a class that
 * cannot be rebuilt on the other side) is refused while it is being encoded, naming the path from
 * the argument or result to it, rather than sent as a map of its getters.
 */
class PayloadValuesTest {
  record Owned(String name, Object owner) {}

  record Nested(String name, List<Map<String, Object>> items) {}

  record Typed(Thread thread) {}

  enum Colour {
    RED
  }

  /** A bean: a no-argument constructor and a property with a setter. */
  public static final class Bean {
    private Object payload;

    public Object getPayload() {
      return payload;
    }

    public void setPayload(Object payload) {
      this.payload = payload;
    }
  }

  /** Has properties but nothing to rebuild it with: its only constructor takes an argument. */
  static final class NoEmptyConstructor {
    private final String name;

    NoEmptyConstructor(String name) {
      this.name = name;
    }

    public String getName() {
      return name;
    }
  }

  /** An inner class: only an instance of the test could rebuild it. */
  final class Inner {
    public String getName() {
      return "inner";
    }
  }

  private static final String ALLOWED = PayloadCodec.ALLOWED;

  private static final Thread THREAD = new Thread(() -> {});

  private static PayloadCodec.ArgsCodec objectParameter() {
    return PayloadCodec.forParameters(new Type[] {Object.class});
  }

  @Test
  void aThreadWhereObjectIsDeclaredIsRefusedNamingTheArgument() {
    assertThatThrownBy(() -> objectParameter().encode(new Object[] {THREAD}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage(
            "argument 1 of 'f' → java.lang.Thread cannot be encoded: java.lang.Thread is a JDK"
                + " class that is not a value (argument 1 of 'f' is a java.lang.Thread, declared"
                + " as java.lang.Object; allowed: "
                + ALLOWED
                + ")");
  }

  @Test
  void aThreadWhereThreadIsDeclaredIsRefusedAsWell() {
    PayloadCodec.ArgsCodec args = PayloadCodec.forParameters(new Type[] {Thread.class});
    assertThatThrownBy(() -> args.encode(new Object[] {THREAD}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("argument 1 of 'f' → java.lang.Thread cannot be encoded: ");
    // Not even null: the container could not decode it as a Thread.
    assertThatThrownBy(() -> args.encode(new Object[] {null}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 1 of 'f' is null, but its declared type java.lang.Thread is not a value"
                + " payloads carry: java.lang.Thread is a JDK class that is not a value");
  }

  @Test
  void aThreadInARecordFieldIsNamedByTheField() {
    assertThatThrownBy(() -> objectParameter().encode(new Object[] {new Owned("job", THREAD)}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 1 of 'f' → field owner → java.lang.Thread cannot be encoded: ")
        .hasMessageContaining("argument 1 of 'f' is a " + Owned.class.getName());
    PayloadCodec.ArgsCodec typed = PayloadCodec.forParameters(new Type[] {Typed.class});
    assertThatThrownBy(() -> typed.encode(new Object[] {new Typed(THREAD)}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 1 of 'f' → field thread → java.lang.Thread cannot be encoded: ");
  }

  @Test
  void aThreadInAListOrArrayIsNamedByItsIndex() {
    assertThatThrownBy(
            () -> objectParameter().encode(new Object[] {Arrays.asList("a", THREAD)}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("argument 1 of 'f' → element 1 → java.lang.Thread cannot be");
    PayloadCodec.ArgsCodec array = PayloadCodec.forParameters(new Type[] {Object[].class});
    assertThatThrownBy(() -> array.encode(new Object[] {new Object[] {1, THREAD}}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("argument 1 of 'f' → element 1 → java.lang.Thread cannot be");
  }

  @Test
  void aThreadAsAMapValueIsNamedByItsKey() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("fine", 1);
    map.put("worker", THREAD);
    PayloadCodec.ArgsCodec args =
        PayloadCodec.forParameters(
            new Type[] {int.class, new TypeRef<Map<String, Object>>() {}.type()});
    assertThatThrownBy(() -> args.encode(new Object[] {1, map}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 2 of 'f' → entry 'worker' → java.lang.Thread cannot be encoded: ");
  }

  @Test
  void aMapKeyThatCannotBeReadBackIsRefused() {
    Map<Object, Object> byThread = new LinkedHashMap<>();
    byThread.put(THREAD, 1);
    assertThatThrownBy(
            () -> objectParameter().encode(new Object[] {new Owned("job", byThread)}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 1 of 'f' → field owner → key java.lang.Thread cannot be encoded: a map key"
                + " must be a String, a primitive or box, BigDecimal, BigInteger, UUID, URI, an"
                + " enum or a java.time value");
    PayloadCodec.ArgsCodec byOwned =
        PayloadCodec.forParameters(new Type[] {new TypeRef<Map<Owned, Integer>>() {}.type()});
    assertThatThrownBy(() -> byOwned.encode(new Object[] {Map.of(new Owned("a", "b"), 1)}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith("argument 1 of 'f' → key " + Owned.class.getName() + " cannot");
    // Keys that read back still do.
    PayloadCodec.ArgsCodec keyed =
        PayloadCodec.forParameters(
            new Type[] {
              new TypeRef<Map<Colour, Integer>>() {}.type(),
              new TypeRef<Map<UUID, Integer>>() {}.type(),
              new TypeRef<Map<Integer, String>>() {}.type(),
              new TypeRef<Map<LocalDate, String>>() {}.type()
            });
    Object[] maps = {
      Map.of(Colour.RED, 1),
      Map.of(UUID.fromString("0b7e1c5e-5a4f-4f50-9b1e-5d2a2c1f9e00"), 2),
      Map.of(3, "three"),
      Map.of(LocalDate.of(2026, 1, 2), "day")
    };
    assertThat(keyed.decode(keyed.encode(maps, "f"), "f")).containsExactly(maps);
  }

  @Test
  void aThreadDeepInsideIsNamedByTheWholePath() {
    Bean bean = new Bean();
    bean.setPayload(new Nested("n", List.of(Map.of("k", THREAD))));
    assertThatThrownBy(() -> objectParameter().encode(new Object[] {bean}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 1 of 'f' → field payload → field items → element 0 → entry 'k'"
                + " → java.lang.Thread cannot be encoded: ");
  }

  @Test
  void aResultThatIsNotAValueIsRefusedNamingTheResult() {
    PayloadCodec.ValueCodec result = PayloadCodec.forType(Object.class);
    assertThatThrownBy(() -> result.encode(new Owned("job", THREAD), "result of 'f'"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "result of 'f' → field owner → java.lang.Thread cannot be encoded: ");
  }

  @Test
  void classesThatCannotBeRebuiltAreRefusedSayingWhy() {
    assertThatThrownBy(
            () -> objectParameter().encode(new Object[] {new NoEmptyConstructor("x")}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageStartingWith(
            "argument 1 of 'f' → "
                + NoEmptyConstructor.class.getName()
                + " cannot be encoded: it has no constructor without parameters to rebuild it"
                + " with");
    assertThatThrownBy(() -> objectParameter().encode(new Object[] {new Inner()}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageContaining("cannot be encoded: it is an inner class");
    Runnable lambda = () -> {};
    assertThatThrownBy(() -> objectParameter().encode(new Object[] {lambda}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageContaining("cannot be encoded: it is a lambda or hidden class");
    assertThatThrownBy(() -> objectParameter().encode(new Object[] {new StringBuilder("x")}, "f"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessageContaining("java.lang.StringBuilder is a JDK class that is not a value");
  }

  @Test
  void abstractJdkTypesDeclaredAsParametersOrResultsStillCarryTheirValues() {
    PayloadCodec.ArgsCodec args =
        PayloadCodec.forParameters(
            new Type[] {
              Number.class, CharSequence.class, new TypeRef<Iterable<String>>() {}.type()
            });
    Object[] back = args.decode(args.encode(new Object[] {5, "cs", List.of("a")}, "f"), "f");
    assertThat(back[0]).isEqualTo(5);
    assertThat(back[1]).hasToString("cs");
    assertThat(back[2]).asInstanceOf(InstanceOfAssertFactories.ITERABLE).containsExactly("a");
    PayloadCodec.ValueCodec number = PayloadCodec.forType(Number.class);
    assertThat(number.decode(number.encode(7L, "result of 'f'"), "result of 'f'")).isEqualTo(7);
    // A CharSequence travels as its text.
    PayloadCodec.ValueCodec text = PayloadCodec.forType(CharSequence.class);
    assertThat(text.decode(text.encode(new StringBuilder("sb"), "r"), "r")).hasToString("sb");
  }

  @Test
  void valuesStillComeBackEqualWhereObjectIsDeclared() {
    Bean bean = new Bean();
    bean.setPayload("p");
    List<Object> values =
        List.of(
            1,
            2L,
            1.5,
            true,
            'c',
            "s",
            new BigDecimal("1.25"),
            new BigInteger("123456789012345678901234567890"),
            UUID.fromString("0b7e1c5e-5a4f-4f50-9b1e-5d2a2c1f9e00"),
            URI.create("https://example.com/a"),
            LocalDate.of(2026, 1, 2),
            Duration.ofSeconds(3),
            Colour.RED,
            List.of(1, 2),
            Map.of("k", List.of("v")),
            Optional.of("o"),
            new Owned("job", "someone"),
            bean);
    PayloadCodec.ArgsCodec args = objectParameter();
    for (Object v : values) {
      assertThat(args.decode(args.encode(new Object[] {v}, "f"), "f")).hasSize(1);
    }
    assertThat(args.decode(args.encode(new Object[] {null}, "f"), "f"))
        .containsExactly((Object) null);
    // What a void function returns.
    PayloadCodec.ValueCodec nothing = PayloadCodec.forType(Void.class);
    assertThat(nothing.decode(nothing.encode(null, "result of 'f'"), "result of 'f'")).isNull();
    PayloadCodec.ArgsCodec typed =
        PayloadCodec.forParameters(
            new Type[] {UUID.class, URI.class, BigDecimal.class, Owned.class, Bean.class});
    Object[] back =
        typed.decode(
            typed.encode(
                new Object[] {values.get(8), values.get(9), values.get(6), values.get(16), bean},
                "f"),
            "f");
    assertThat(Arrays.copyOf(back, 4))
        .containsExactly(values.get(8), values.get(9), values.get(6), values.get(16));
    assertThat(((Bean) back[4]).getPayload()).isEqualTo("p");
    assertThat(typed.decode(typed.encode(new Object[5], "f"), "f")).containsOnlyNulls();
  }
}
