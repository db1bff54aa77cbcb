package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.Function2;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Functions that take or return what may not be a value, for {@link ArgumentValuesTest}: each marks
 * that it ran by writing a file into the directory it is given.
 */
public final class ValueFns {
  static final App app = App.named("values");

  static final Function2<String, Object, String> describe = app.function(ValueFns::describe);
  static final Function2<String, Thread, String> threadName = app.function(ValueFns::threadName);
  static final Function1<Job, String> runJob = app.function(ValueFns::runJob);
  static final Function1<String, Object> currentThread = app.function(ValueFns::currentThread);

  /** A job with an owner of any type. */
  record Job(String dir, Object owner) {}

  private ValueFns() {}

  private static void mark(String dir, String what) throws IOException {
    Files.writeString(Path.of(dir, "ran-" + what), what);
  }

  static String describe(String dir, Object o) throws IOException {
    mark(dir, "describe");
    return String.valueOf(o);
  }

  static String threadName(String dir, Thread t) throws IOException {
    mark(dir, "threadName");
    return t.getName();
  }

  static String runJob(Job job) throws IOException {
    mark(job.dir(), "runJob-" + job.owner());
    return String.valueOf(job.owner());
  }

  static Object currentThread(String dir) throws IOException {
    mark(dir, "currentThread");
    return Thread.currentThread();
  }
}
