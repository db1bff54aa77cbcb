package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.SkiffException;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.testing.ServerProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A secret rewritten on a full disk (the server's data directory on a tmpfs of its own, filled to
 * the last byte) fails naming the secret and leaves the old secret whole and readable, with no
 * half-written file beside it: secrets are written aside, forced and renamed into place. That the
 * force reached the device cannot be observed without cutting the power; the atomicity can.
 */
@Tag("e2e")
class SecretsOnFullDiskTest {
  @Test
  void aSecretRewrittenOnAFullDiskKeepsItsOldValue() throws IOException {
    try (ServerProcess server = ServerProcess.startOnSmallDisk(64L << 20)) {
      SecretStore secrets =
          SecretStore.open(
              server.dataDirOnDisk(), server.home().resolve("secret.key"), Clock.systemUTC());
      secrets.put("db", Map.of("PASSWORD", "old"));
      FileStore disk = Files.getFileStore(server.dataDirOnDisk());
      server.resizeDisk(disk.getTotalSpace() - disk.getUnallocatedSpace() + (1 << 20));
      Path filler = server.dataDirOnDisk().resolve("filler");
      fill(filler);

      assertThatThrownBy(() -> secrets.put("db", Map.of("PASSWORD", "x".repeat(256 * 1024))))
          .isInstanceOf(SkiffException.class)
          .hasMessageContaining("could not write secret 'db'");

      assertThat(secrets.get("db")).contains(Map.of("PASSWORD", "old"));
      try (Stream<Path> files = Files.list(secrets.directory())) {
        assertThat(files.map(f -> f.getFileName().toString())).containsExactly("db.json");
      }
      Files.delete(filler);
      secrets.put("db", Map.of("PASSWORD", "new"));
      assertThat(secrets.get("db")).contains(Map.of("PASSWORD", "new"));
    }
  }

  /** Writes to {@code file} until its filesystem has no room left. */
  private static void fill(Path file) {
    byte[] chunk = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException full) {
      // No space left on the device: that was the point.
    }
  }
}
