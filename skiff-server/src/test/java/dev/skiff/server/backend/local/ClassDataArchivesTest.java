package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the control plane takes from a class list that a container, maybe hostile, wrote. */
class ClassDataArchivesTest {
  @TempDir Path temp;

  @Test
  @SuppressWarnings("StringConcatToTextBlock") // one hostile line per argument, escapes visible
  void aClassListKeepsOnlyTheShapesTheJvmWritesRebuiltFromCheckedParts() {
    String hostile =
        String.join(
            "\n",
            "# NOTE: Do not modify this file.",
            "java/lang/Object id: 0",
            "dev/app/Handler id: 518",
            "dev/app/Evil id: 7 super: 0 source: /root/.ssh/id_ed25519",
            "-XX:SharedArchiveFile=/root/skiff.db",
            "../../etc/passwd",
            "dev/app/Nul\u0000Byte",
            "@lambda-proxy dev/app/Handler run ()Ljava/lang/Runnable; ()V REF_invokeStatic"
                + " dev/app/Handler lambda$main$0 ()V ()V",
            "@lambda-proxy ../x run ()Ljava/lang/Runnable; ()V REF_invokeStatic a b ()V ()V",
            "@lambda-form-invoker [LF_RESOLVE] java.lang.invoke.DirectMethodHandle$Holder"
                + " invokeStatic L7_L",
            "@lambda-form-invoker [LF_RESOLVE] /etc/shadow x y",
            "@cp dev/app/Handler 7 11 12",
            "@cp dev/app/Handler /etc/passwd",
            "@dynamic-proxy whatever",
            "");

    assertThat(ClassDataArchives.classListLines(hostile))
        .containsExactly(
            "java/lang/Object",
            "dev/app/Handler",
            "@lambda-proxy dev/app/Handler run ()Ljava/lang/Runnable; ()V REF_invokeStatic"
                + " dev/app/Handler lambda$main$0 ()V ()V",
            "@lambda-form-invoker [LF_RESOLVE] java.lang.invoke.DirectMethodHandle$Holder"
                + " invokeStatic L7_L",
            "@cp dev/app/Handler 7 11 12");
  }

  @Test
  void aClassListIsNeverReadThroughALinkNorPastItsSizeLimit() throws Exception {
    Path secret = Files.writeString(temp.resolve("secret.key"), "java/lang/Object\n");
    Path link = Files.createSymbolicLink(temp.resolve("classes.txt"), secret);
    assertThat(ClassDataArchives.readClassList(link)).isEmpty();

    Path huge = temp.resolve("huge.txt");
    try (var out = Files.newOutputStream(huge)) {
      byte[] line = "java/lang/Object\n".getBytes(StandardCharsets.US_ASCII);
      for (long n = 0; n <= ClassDataArchives.MAX_CLASS_LIST_BYTES / line.length; n++) {
        out.write(line);
      }
    }
    assertThat(ClassDataArchives.readClassList(huge)).isEmpty();

    Path fine = Files.writeString(temp.resolve("fine.txt"), "java/lang/Object id: 0\n");
    assertThat(ClassDataArchives.readClassList(fine)).contains(List.of("java/lang/Object"));
  }
}
