package dev.skiff.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packing classpath directories for deploys. */
class DeployerTest {
  @TempDir Path dir;

  @Test
  void packingADirectoryDependsOnlyOnItsFilesSoUnchangedClassesAreNotSentAgain() throws Exception {
    Path classes = Files.createDirectories(dir.resolve("classes/com/example"));
    Files.writeString(classes.resolve("A.class"), "a");
    Files.writeString(classes.resolve("B.class"), "b");
    Path first = dir.resolve("1.jar");
    Deployer.pack(dir.resolve("classes"), first);

    Files.setLastModifiedTime(classes.resolve("A.class"), FileTime.from(Instant.EPOCH));
    Path second = dir.resolve("2.jar");
    Deployer.pack(dir.resolve("classes"), second);
    assertThat(Deployer.sha256(second)).isEqualTo(Deployer.sha256(first));

    Files.writeString(classes.resolve("B.class"), "changed");
    Path third = dir.resolve("3.jar");
    Deployer.pack(dir.resolve("classes"), third);
    assertThat(Deployer.sha256(third)).isNotEqualTo(Deployer.sha256(first));

    try (JarFile jar = new JarFile(first.toFile())) {
      assertThat(jar.getEntry("com/example/A.class")).isNotNull();
    }
  }

  @Test
  void descriptorsAreCountedForLookups() {
    assertThat(FunctionSpec.parameterCount("()V")).isZero();
    assertThat(FunctionSpec.parameterCount("(Ljava/lang/String;I[J[[Ljava/util/List;)I"))
        .isEqualTo(4);
  }
}
