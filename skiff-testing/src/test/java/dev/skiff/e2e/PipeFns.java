package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Function1;
import dev.skiff.Volume;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.VolumeApiGrpc;
import dev.skiff.proto.VolumeFileRef;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A function that swaps a named pipe in and out of its volume while it reads that name through the
 * volume API on many connections of its own, for {@link VolumePipeTest}; and a bystander.
 */
public final class PipeFns {
  static final String VOLUME = "e2e-pipes";

  static final App app = App.named("pipes");

  static final Function1<Integer, String> attack =
      app.function(
          PipeFns::attack,
          f ->
              f.volume("/cache", Volume.fromName(VOLUME).createIfMissing())
                  .timeout(Duration.ofMinutes(2)));

  static final Function0<String> ping = app.function(PipeFns::ping);

  private PipeFns() {}

  static String ping() {
    return "pong";
  }

  /** Swaps for {@code seconds} while 8 connections keep reading the swapped name. */
  static String attack(Integer seconds) throws Exception {
    Path pipe = Path.of("/cache/.pipe");
    Path file = Path.of("/cache/.file");
    Path target = Path.of("/cache/target");
    Path next = Path.of("/cache/.next");
    Files.deleteIfExists(pipe);
    Process mkfifo = new ProcessBuilder("mkfifo", pipe.toString()).inheritIO().start();
    if (mkfifo.waitFor() != 0) {
      throw new IllegalStateException("mkfifo failed");
    }
    Files.writeString(file, "plain");
    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    AtomicInteger swaps = new AtomicInteger();
    Thread swapper =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    while (System.nanoTime() < end) {
                      for (Path p : List.of(pipe, file)) {
                        Files.deleteIfExists(next);
                        Files.createLink(next, p);
                        Files.move(next, target, StandardCopyOption.ATOMIC_MOVE);
                        swaps.incrementAndGet();
                      }
                    }
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
    List<ManagedChannel> channels = new ArrayList<>();
    AtomicInteger answered = new AtomicInteger();
    List<Thread> readers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      ManagedChannel channel =
          SkiffClient.channel(System.getenv("SKIFF_SERVER"), System.getenv("SKIFF_TOKEN"));
      channels.add(channel);
      readers.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (System.nanoTime() < end) {
                      try {
                        VolumeApiGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(1, TimeUnit.SECONDS)
                            .readFile(
                                VolumeFileRef.newBuilder()
                                    .setVolume(VOLUME)
                                    .setPath("target")
                                    .build())
                            .forEachRemaining(c -> {});
                      } catch (RuntimeException e) {
                        // Refused (a pipe, a link), exhausted or past its deadline: try again.
                      }
                      answered.incrementAndGet();
                    }
                  }));
    }
    swapper.join();
    for (Thread r : readers) {
      r.join();
    }
    channels.forEach(ManagedChannel::shutdownNow);
    return "swaps=" + swaps.get() + " reads=" + answered.get();
  }
}
