package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
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

  @Test
  void theSweepRemovesLeftoversOfGoneControlPlanesAndKeepsArchivesUnderTheirCap() throws Exception {
    Instant now = Instant.now();
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path ofGone = Files.createDirectories(temp.resolve("new-" + gone.pid() + "-123"));
    Files.writeString(ofGone.resolve("classes.txt"), "java/lang/Object\n");
    Path dumpOfGone = Files.createDirectories(temp.resolve("dump-" + gone.pid() + "-456"));
    Path ofThisOne =
        Files.createDirectories(temp.resolve("new-" + ProcessHandle.current().pid() + "-789"));
    Path oldUnnamed = Files.createDirectories(temp.resolve("new-42"));
    Files.setLastModifiedTime(oldUnnamed, FileTime.from(now.minus(Duration.ofDays(2))));
    Path newUnnamed = Files.createDirectories(temp.resolve("dump-43"));
    Path staleList = archive("skiff-stale.classes", 10, now.minus(Duration.ofDays(15)));
    Path freshList = archive("skiff-fresh.classes", 10, now.minus(Duration.ofDays(1)));
    // Four archives of 100 bytes under a cap of 250: the two least recently used go, unless used
    // within the hour.
    Path oldest = archive("skiff-a.jsa", 100, now.minus(Duration.ofDays(3)));
    Path older = archive("skiff-b.jsa", 100, now.minus(Duration.ofDays(2)));
    Path recent = archive("skiff-c.jsa", 100, now.minus(Duration.ofMinutes(10)));
    Path newest = archive("skiff-d.jsa", 100, now.minus(Duration.ofMinutes(5)));
    Path unused = archive("skiff-e.jsa", 1, now.minus(Duration.ofDays(20)));

    ClassDataArchives.sweep(temp, now, 250);

    assertThat(ofGone).doesNotExist();
    assertThat(dumpOfGone).doesNotExist();
    assertThat(oldUnnamed).doesNotExist();
    assertThat(staleList).doesNotExist();
    assertThat(oldest).doesNotExist();
    assertThat(older).doesNotExist();
    assertThat(unused).doesNotExist();
    assertThat(ofThisOne).exists();
    assertThat(newUnnamed).exists();
    assertThat(freshList).exists();
    assertThat(recent).exists(); // 200 bytes left, and both used within the hour anyway
    assertThat(newest).exists();
  }

  @Test
  void anArchiveUsedWithinTheHourIsKeptEvenPastTheCap() throws Exception {
    Instant now = Instant.now();
    Path a = archive("skiff-a.jsa", 100, now.minus(Duration.ofMinutes(30)));
    Path b = archive("skiff-b.jsa", 100, now.minus(Duration.ofMinutes(20)));

    ClassDataArchives.sweep(temp, now, 50);

    assertThat(a).exists();
    assertThat(b).exists();
  }

  private Path archive(String name, int bytes, Instant used) throws Exception {
    Path p = Files.write(temp.resolve(name), new byte[bytes]);
    Files.setLastModifiedTime(p, FileTime.from(used));
    return p;
  }
}
