package dev.skiff.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs each example as a user would, in its own JVM on the embedded default (no server, no test
 * fixture), and checks what it prints.
 */
@Tag("e2e")
class ExamplesTest {
  /** Container output is echoed to the caller's console as "[function c-xxxxxx] text". */
  private static final Pattern CONTAINER_LINE =
      Pattern.compile("\\[[A-Za-z0-9_$\\-]+ c-[a-z0-9]+\\] ");

  @TempDir Path tmp;

  private List<String> run(Class<?> example) throws IOException, InterruptedException {
    Path out = tmp.resolve(example.getSimpleName() + ".out");
    Path err = tmp.resolve(example.getSimpleName() + ".err");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), example.getName())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    try {
      boolean exited = p.waitFor(120, TimeUnit.SECONDS);
      assertThat(exited).as("%s finished within 120 s", example.getSimpleName()).isTrue();
      assertThat(p.exitValue())
          .as("exit code; stderr:%n%s", Files.readString(err, StandardCharsets.UTF_8))
          .isZero();
      // Containers are children of the example's JVM; none may outlive it.
      assertThat(p.descendants().filter(ProcessHandle::isAlive).toList()).isEmpty();
      return Files.readAllLines(out, StandardCharsets.UTF_8).stream()
          .filter(l -> !CONTAINER_LINE.matcher(l).lookingAt())
          .toList();
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  @Test
  void helloRunsRemoteLocalMapAndSpawn() throws Exception {
    List<String> lines = run(Hello.class);
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).isEqualTo("Hello, World!");
    assertThat(lines.get(1)).isEqualTo("Hello, World!");
    assertThat(lines.get(2)).isEqualTo("[Hello, Alice!, Hello, Bob!, Hello, Charlie!]");
    assertThat(lines.get(3)).matches(Pattern.compile("spawned fc-[a-z0-9]+: Hello, World!"));
  }

  @Test
  void asyncHelloAwaitsCompletionStages() throws Exception {
    assertThat(run(AsyncHello.class)).containsExactly("Hello, World!", "Hello, Moon!");
  }

  @Test
  void countToStreamsItsItems() throws Exception {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      expected.add(Integer.toString(i));
    }
    assertThat(run(CountTo.class)).isEqualTo(expected);
  }

  @Test
  void scheduledRunsItsPeriodFunctionRepeatedlyAndPrintsTheHistory() throws Exception {
    List<String> lines = run(Scheduled.class);
    assertThat(lines)
        .allMatch(l -> l.matches("everySecond for \\S+Z: (succeeded|running)"), "a history line")
        .hasSizeGreaterThanOrEqualTo(2);
    assertThat(lines).filteredOn(l -> l.endsWith("succeeded")).isNotEmpty();
  }

  @Test
  void webApiPrintsItsUrlAndTheJsonItAnswers() throws Exception {
    List<String> lines = run(WebApi.class);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).matches("http://127\\.0\\.0\\.1:\\d+/web-api/api");
    assertThat(lines.get(1)).isEqualTo("200 {\"message\":\"Hello, API!\"}");
  }

  @Test
  void compositionCallsFunctionsFromAContainer() throws Exception {
    List<String> lines = run(Composition.class);
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).startsWith("sum of squares 1..10 = 385 (pipeline ran in pid ");
  }
}
