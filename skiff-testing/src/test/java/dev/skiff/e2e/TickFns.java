package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Every;
import dev.skiff.Function0;
import dev.skiff.Volume;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/** A deployed app whose one-second schedule appends each run to a file of a volume. */
public final class TickFns {
  static final App app = App.named("ticks");

  static final String VOLUME = "ticks-record";

  static final Function0<String> append =
      app.function(
          TickFns::append,
          f ->
              f.schedule(Every.seconds(1))
                  .volume("/record", Volume.fromName(VOLUME).createIfMissing()));

  /** Appends a line naming this run to /record/runs (forced to disk), and returns that name. */
  static String append() {
    String run = UUID.randomUUID().toString();
    try (FileChannel ch =
        FileChannel.open(
            Path.of("/record/runs"),
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.wrap((run + "\n").getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return run;
  }

  private TickFns() {}
}
