package dev.skiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public types of {@code dev.skiff} can be imported with a wildcard next to the JDK packages a
 * program usually imports the same way: no simple name is also a public type there, which would
 * make every use of that name ambiguous ({@code Period} was, with {@code java.time.Period}).
 */
class PublicNamesTest {
  private static final List<String> JDK_PACKAGES =
      List.of(
          "java.lang",
          "java.io",
          "java.math",
          "java.net",
          "java.nio.file",
          "java.time",
          "java.util",
          "java.util.concurrent",
          "java.util.function",
          "java.util.stream");

  @Test
  void noPublicTypeSharesItsNameWithATypeOfACommonlyWildcardImportedJdkPackage()
      throws IOException, URISyntaxException {
    Path dir = Path.of(App.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> names;
    try (Stream<Path> files = Files.list(dir.resolve("dev/skiff"))) {
      names =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".class") && !n.contains("$"))
              .map(n -> n.substring(0, n.length() - ".class".length()))
              .filter(n -> Modifier.isPublic(load("dev.skiff." + n).orElseThrow().getModifiers()))
              .toList();
    }
    assertThat(names).contains("App", "Function1", "Cron");

    List<String> clashes =
        names.stream()
            .flatMap(
                n ->
                    JDK_PACKAGES.stream()
                        .flatMap(p -> load(p + "." + n).stream())
                        .filter(c -> Modifier.isPublic(c.getModifiers()))
                        .map(c -> "dev.skiff." + n + " and " + c.getName()))
            .toList();
    assertThat(clashes).isEmpty();
  }

  private static Optional<Class<?>> load(String name) {
    try {
      return Optional.of(Class.forName(name, false, PublicNamesTest.class.getClassLoader()));
    } catch (ClassNotFoundException e) {
      return Optional.empty();
    }
  }
}
