package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The volume commands on the local data directory of a temporary SKIFF_HOME (no server). */
@Tag("e2e")
class VolumeCommandTest {
  private static final Duration DEADLINE = Duration.ofMinutes(2);
  private Path home;

  @BeforeEach
  void setUp() throws IOException {
    home = Files.createTempDirectory("skiff-home-");
  }

  @AfterEach
  void tearDown() {
    CliProcess.deleteTree(home);
  }

  private CliProcess.Result skiff(String... args) {
    CliProcess.Result r = CliProcess.run(home, DEADLINE, args);
    return r;
  }

  @Test
  void createPutListGetRemoveAndDelete() throws IOException {
    Path local = Files.writeString(home.resolve("note.txt"), "hello volume\n");
    assertThat(skiff("volume", "create", "notes").out()).isEqualTo("created volume 'notes'\n");
    CliProcess.Result again = skiff("volume", "create", "notes");
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).startsWith("skiff: ").contains("notes").hasLineCount(1);

    CliProcess.Result put = skiff("volume", "put", "notes", local.toString(), "docs/");
    assertThat(put.exitCode()).as(put.err()).isZero();
    assertThat(put.out()).isEqualTo("put " + local + " to notes:/docs/note.txt\n");
    assertThat(home.resolve("data/volumes/notes/docs/note.txt")).hasContent("hello volume");

    CliProcess.Result ls = skiff("volume", "ls", "notes", "-r");
    assertThat(ls.out()).containsPattern("(?m)^dir +- +\\S+Z +docs/$");
    assertThat(ls.out()).containsPattern("(?m)^file +13 +\\S+Z +docs/note.txt$");
    assertThat(skiff("volume", "list").out()).isEqualTo("notes\n");
    assertThat(skiff("volume", "get", "notes", "/docs/note.txt", "-").out())
        .isEqualTo("hello volume\n");
    Path copy = home.resolve("copy.txt");
    assertThat(skiff("volume", "get", "notes", "docs/note.txt", copy.toString()).exitCode())
        .isZero();
    assertThat(copy).hasContent("hello volume");

    CliProcess.Result notEmpty = skiff("volume", "rm", "notes", "docs");
    assertThat(notEmpty.exitCode()).isEqualTo(1);
    assertThat(notEmpty.err()).contains("not empty");
    assertThat(skiff("volume", "rm", "notes", "docs", "-r").out())
        .isEqualTo("removed notes:docs\n");
    assertThat(skiff("volume", "delete", "notes").out()).isEqualTo("deleted volume 'notes'\n");
    assertThat(skiff("volume", "list").out()).isEmpty();
  }
}
