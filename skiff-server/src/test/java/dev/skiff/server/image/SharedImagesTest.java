package dev.skiff.server.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.proto.ImageRecipe;
import dev.skiff.server.backend.Capabilities;
import dev.skiff.server.store.SharedBytes;
import dev.skiff.server.store.postgres.LocalPostgres;
import dev.skiff.server.store.postgres.PostgresStore;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images of control planes that share a PostgreSQL store, each with its own directory: an image id
 * built through one replica is built by another from the shared recipe when it is asked for it.
 */
@ExtendWith(LocalPostgres.Extension.class)
class SharedImagesTest {
  @TempDir Path one;
  @TempDir Path two;

  private final PostgresStore storeOne;
  private final PostgresStore storeTwo;

  SharedImagesTest(LocalPostgres postgres) {
    String url = postgres.newDatabase();
    storeOne =
        PostgresStore.open(
            url, Optional.of(LocalPostgres.USER), Optional.of(LocalPostgres.PASSWORD));
    storeTwo =
        PostgresStore.open(
            url, Optional.of(LocalPostgres.USER), Optional.of(LocalPostgres.PASSWORD));
  }

  @AfterEach
  void close() {
    storeOne.close();
    storeTwo.close();
  }

  private static ImageStore images(Path dir, PostgresStore store) {
    return new ImageStore(
        dir.resolve("images"),
        dir.resolve("maven"),
        InstalledJdks.of(List.of(Path.of(System.getProperty("java.home")))),
        Clock.systemUTC(),
        Capabilities.all(),
        store.sharedBytes());
  }

  @Test
  void anImageBuiltThroughOneReplicaIsBuiltByAnotherFromItsSharedRecipe() {
    ImageRecipe recipe = ImageStoreTest.recipe("echo built > built.txt");
    try (ImageStore first = images(one, storeOne);
        ImageStore second = images(two, storeTwo)) {
      String id = first.build(recipe, line -> {}).image().id();
      assertThat(second.find(RecipeHash.of(ImageStoreTest.recipe("other")))).isEmpty();

      BuiltImage there = second.find(id).orElseThrow();

      assertThat(there.id()).isEqualTo(id);
      assertThat(there.directory()).startsWith(two);
      assertThat(second.build(recipe, line -> {}).cached()).isTrue();
    }
  }

  @Test
  void aSharedRecipeThatDoesNotHashToItsIdIsNotBuilt() {
    String id = RecipeHash.of(ImageStoreTest.recipe("true"));
    storeOne
        .sharedBytes()
        .put(
            SharedBytes.Kind.IMAGE,
            id,
            new ByteArrayInputStream(ImageStoreTest.recipe("false").toByteArray()));
    try (ImageStore second = images(two, storeTwo)) {
      assertThatThrownBy(() -> second.find(id))
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("the shared recipe of image " + id + " hashes to");
    }
  }
}
