package dev.skiff.internal;

import dev.skiff.ContainerCrashedException;
import dev.skiff.ContainerStartupException;
import dev.skiff.FunctionCancelledException;
import dev.skiff.FunctionTimeoutException;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.NotFoundException;
import dev.skiff.PayloadException;
import dev.skiff.RemoteFunctionException;
import dev.skiff.SkiffException;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.Frame;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Carries exceptions across the wire. In the container, a {@link Throwable} becomes an {@link
 * ErrorInfo} (class name, message, stack frames, cause chain). On the caller's side, an {@link
 * ErrorInfo} becomes the exception to throw:
 *
 * <ul>
 *   <li>a user's unchecked exception is rebuilt as the same type when that class is on the caller's
 *       classpath and has a {@code (String, Throwable)}, {@code (String)} or {@code ()}
 *       constructor, public or not, that makes an exception with the remote message (a constructor
 *       whose argument is not the message, such as {@code DuplicateFormatFlagsException(String
 *       flags)}, is not used); its stack shows the remote frames (marked {@code remote//}) followed
 *       by the caller's own frames;
 *   <li>a checked exception or an {@link Error}, which {@code remote()} does not declare, or a
 *       class that cannot be rebuilt, arrives as {@link RemoteFunctionException} (with the rebuilt
 *       exception as its cause where it is one of the JDK's);
 *   <li>Skiff's own failures (timeout, crash, cancellation, ...) become the matching {@link
 *       SkiffException} subclass, from the error's kind, which the control plane sets.
 * </ul>
 *
 * <p>What crosses is bounded: at most {@value #MAX_FRAMES} frames per exception and {@value
 * #MAX_CAUSES} causes below it (a cause cycle ends the chain). Suppressed exceptions are not
 * carried.
 *
 * <p>The class name comes from the container, whose code may be hostile and may name any class the
 * caller has. So a named class is loaded without being initialized and is constructed only if
 * {@link #rebuildable} allows it: the JDK's exceptions and the user's own unchecked ones; never
 * Skiff's own types, an {@link Error}, or anything else whose constructor or static initializer the
 * caller did not ask to run.
 */
public final class ErrorCodec {
  /** The class-loader name that marks a stack frame as remote in printed traces. */
  public static final String REMOTE_MARK = "remote";

  static final int MAX_CAUSES = 16;
  static final int MAX_FRAMES = 256;

  private ErrorCodec() {}

  /** Describes a throwable raised by user code, trimming Skiff's own frames below it. */
  public static ErrorInfo fromThrowable(Throwable t, ErrorKind kind) {
    return describe(t, kind, new IdentityHashMap<>(), 0);
  }

  private static ErrorInfo describe(
      Throwable t, ErrorKind kind, Map<Throwable, Boolean> seen, int depth) {
    seen.put(t, Boolean.TRUE);
    ErrorInfo.Builder b =
        ErrorInfo.newBuilder()
            .setKind(kind)
            .setClassName(t.getClass().getName())
            .setMessage(t.getMessage() == null ? "" : t.getMessage());
    StackTraceElement[] frames = t.getStackTrace();
    int end = userFrameCount(frames);
    for (int i = 0; i < Math.min(end, MAX_FRAMES); i++) {
      StackTraceElement f = frames[i];
      b.addFrames(
          Frame.newBuilder()
              .setDeclaringClass(f.getClassName())
              .setMethod(f.getMethodName())
              .setFile(f.getFileName() == null ? "" : f.getFileName())
              .setLine(f.getLineNumber()));
    }
    Throwable cause = t.getCause();
    if (cause != null && depth < MAX_CAUSES && !seen.containsKey(cause)) {
      b.setCause(describe(cause, kind, seen, depth + 1));
    }
    return b.build();
  }

  /**
   * The frames above the point where Skiff's container invoked the user's method: everything before
   * the first container frame, less the reflection frames just above it.
   */
  private static int userFrameCount(StackTraceElement[] frames) {
    int end = frames.length;
    for (int i = 0; i < frames.length; i++) {
      if (frames[i].getClassName().startsWith("dev.skiff.internal.container.")) {
        end = i;
        break;
      }
    }
    while (end > 0 && isReflection(frames[end - 1])) {
      end--;
    }
    return end;
  }

  private static boolean isReflection(StackTraceElement f) {
    String c = f.getClassName();
    return c.startsWith("jdk.internal.reflect.") || c.equals("java.lang.reflect.Method");
  }

  /** An {@link ErrorInfo} for one of Skiff's own failures. */
  public static ErrorInfo of(ErrorKind kind, String message) {
    return ErrorInfo.newBuilder().setKind(kind).setClassName("").setMessage(message).build();
  }

  /**
   * The exception to throw at the caller for an error. The stack trace ends with the caller's
   * current frames, so the trace shows both where the function failed and where it was called.
   */
  public static RuntimeException toException(ErrorInfo e, String function) {
    StackTraceElement[] local = localFrames();
    RuntimeException ex =
        switch (e.getKind()) {
          case USER_EXCEPTION -> userException(e, local);
          case TIMEOUT -> new FunctionTimeoutException(e.getMessage());
          case CONTAINER_CRASHED -> new ContainerCrashedException(e.getMessage());
          case CANCELLED ->
              new FunctionCancelledException(
                  messageOr(e, "call to '" + function + "' was cancelled"));
          case ENCODING -> new PayloadException(e.getMessage());
          case STARTUP_FAILED, STARTUP_TIMEOUT ->
              new ContainerStartupException(
                  e.getMessage(), e.hasCause() ? rebuild(e.getCause(), local) : null);
          case NOT_FOUND -> new NotFoundException(e.getMessage());
          case INVALID_ARGUMENT -> new InvalidConfigurationException(e.getMessage());
          case INTERNAL, ERROR_KIND_UNSPECIFIED, UNRECOGNIZED ->
              new SkiffException("internal error in Skiff: " + e.getMessage());
        };
    if (e.getKind() != ErrorKind.USER_EXCEPTION) {
      ex.setStackTrace(local);
    }
    if (ex instanceof SkiffException skiff) {
      FailureFacts.attach(skiff, e);
    }
    if (e.getAttempts() > 1) {
      // The user's own message stays as it was; the attempts are told beside it, and this note
      // carries the failure's facts also where the exception is the user's own type.
      SkiffException attempts =
          new SkiffException(
              "function '"
                  + function
                  + "' failed after "
                  + e.getAttempts()
                  + " attempts; this is the error of the last one");
      attempts.setStackTrace(new StackTraceElement[0]);
      FailureFacts.attach(attempts, e);
      ex.addSuppressed(attempts);
    }
    return ex;
  }

  private static String messageOr(ErrorInfo e, String fallback) {
    return e.getMessage().isEmpty() ? fallback : e.getMessage();
  }

  private static RuntimeException userException(ErrorInfo e, StackTraceElement[] local) {
    Throwable rebuilt = rebuild(e, local);
    if (rebuilt instanceof RuntimeException re && !(rebuilt instanceof RemoteFunctionException)) {
      return re;
    }
    if (rebuilt instanceof RemoteFunctionException rfe) {
      return rfe;
    }
    RemoteFunctionException wrapper =
        new RemoteFunctionException(e.getClassName(), e.getMessage(), rebuilt);
    wrapper.setStackTrace(local);
    return wrapper;
  }

  /**
   * Rebuilds the remote exception and its causes; unknown classes become RemoteFunctionException.
   */
  private static Throwable rebuild(ErrorInfo e, StackTraceElement[] local) {
    Throwable cause = e.hasCause() ? rebuild(e.getCause(), new StackTraceElement[0]) : null;
    Throwable t = instantiate(e.getClassName(), e.getMessage(), cause);
    if (t == null) {
      t = new RemoteFunctionException(e.getClassName(), e.getMessage(), cause);
    }
    StackTraceElement[] remote = remoteFrames(e);
    StackTraceElement[] all = Arrays.copyOf(remote, remote.length + local.length);
    System.arraycopy(local, 0, all, remote.length, local.length);
    t.setStackTrace(all);
    return t;
  }

  /**
   * Skiff's own packages and those of the libraries it brings: their types are never rebuilt from a
   * container's word (Skiff's failures come from the control plane's error kinds).
   */
  private static final List<String> FOREIGN_PACKAGES =
      List.of(
          "dev.skiff.internal",
          "dev.skiff.proto",
          "dev.skiff.server",
          "dev.skiff.cli",
          "dev.skiff.testing",
          "io.grpc",
          "io.netty",
          "io.perfmark",
          "com.google",
          "com.fasterxml",
          "org.slf4j");

  /**
   * Whether a class named by the remote side may be rebuilt here. The class is loaded without being
   * initialized, and only these are constructed (running their constructors and static
   * initializers): the JDK's exceptions (public {@link Exception} subclasses of {@code java.base}
   * in {@code java.*} packages, whose constructors only keep their arguments), and the user's own
   * unchecked exceptions (a {@link RuntimeException} subclass loaded by the application's class
   * loader, not in Skiff's package or in its libraries'). Anything else, whatever its name says
   * ({@link Error}s, the user's checked exceptions, Skiff's own types, classes that are not
   * exceptions), arrives as {@link RemoteFunctionException}.
   */
  static boolean rebuildable(Class<?> c) {
    if (c.isInterface()
        || c.isArray()
        || c.isPrimitive()
        || Modifier.isAbstract(c.getModifiers())) {
      return false;
    }
    String pkg = c.getPackageName();
    if (c.getClassLoader() == null || c.getClassLoader() == ClassLoader.getPlatformClassLoader()) {
      return Exception.class.isAssignableFrom(c)
          && "java.base".equals(c.getModule().getName())
          && pkg.startsWith("java.")
          && Modifier.isPublic(c.getModifiers());
    }
    return RuntimeException.class.isAssignableFrom(c)
        && !pkg.equals("dev.skiff")
        && FOREIGN_PACKAGES.stream().noneMatch(p -> pkg.equals(p) || pkg.startsWith(p + "."));
  }

  private static Throwable instantiate(String className, String message, Throwable cause) {
    if (className.isEmpty()) {
      return null;
    }
    Class<?> c;
    try {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      // Loaded without initialization: nothing of the class runs unless it may be rebuilt.
      c = Class.forName(className, false, cl == null ? ErrorCodec.class.getClassLoader() : cl);
    } catch (ClassNotFoundException | LinkageError ex) {
      return null;
    }
    if (!rebuildable(c)) {
      return null;
    }
    String msg = message.isEmpty() ? null : message;
    List<Constructor<?>> constructors = new ArrayList<>();
    if (c.getClassLoader() == null) {
      constructors.addAll(Arrays.asList(c.getConstructors()));
    } else {
      // The user's own type: its declared constructors, public or not.
      for (Constructor<?> k : c.getDeclaredConstructors()) {
        if (Modifier.isPublic(k.getModifiers()) || k.trySetAccessible()) {
          constructors.add(k);
        }
      }
    }
    // Prefer (String, cause type), then (cause type) where its message is the cause's, then
    // (String) and () with the cause set afterwards. A constructor is used only if the exception
    // it makes says the remote message: some take a String that is not the message.
    if (cause != null) {
      for (Constructor<?> k : constructors) {
        Class<?>[] p = k.getParameterTypes();
        if (p.length == 2 && p[0] == String.class && p[1].isInstance(cause)) {
          Throwable t = construct(msg, k, msg, cause);
          if (t != null) {
            return t;
          }
        }
      }
      if (msg == null || msg.equals(cause.toString())) {
        for (Constructor<?> k : constructors) {
          Class<?>[] p = k.getParameterTypes();
          if (p.length == 1 && p[0] != String.class && p[0].isInstance(cause)) {
            Throwable t = construct(msg, k, cause);
            if (t != null) {
              return t;
            }
          }
        }
      }
    }
    for (Constructor<?> k : constructors) {
      if (k.getParameterCount() == 1 && k.getParameterTypes()[0] == String.class) {
        Throwable t = construct(msg, k, msg);
        if (t != null) {
          return withCause(t, cause);
        }
      }
    }
    if (msg == null) {
      for (Constructor<?> k : constructors) {
        if (k.getParameterCount() == 0) {
          Throwable t = construct(msg, k);
          if (t != null) {
            return withCause(t, cause);
          }
        }
      }
    }
    return null;
  }

  /** A new exception from {@code k}, or null if that fails or its message is not {@code msg}. */
  private static Throwable construct(String msg, Constructor<?> k, Object... args) {
    Throwable t;
    try {
      t = (Throwable) k.newInstance(args);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return null;
    }
    return Objects.equals(t.getMessage(), msg) ? t : null;
  }

  private static Throwable withCause(Throwable t, Throwable cause) {
    if (cause != null && t.getCause() == null) {
      try {
        t.initCause(cause);
      } catch (IllegalStateException | IllegalArgumentException ignored) {
        // the type fixed its cause already
      }
    }
    return t;
  }

  private static StackTraceElement[] remoteFrames(ErrorInfo e) {
    List<StackTraceElement> out = new ArrayList<>(e.getFramesCount());
    for (Frame f : e.getFramesList()) {
      out.add(
          new StackTraceElement(
              REMOTE_MARK,
              null,
              null,
              f.getDeclaringClass(),
              f.getMethod(),
              f.getFile().isEmpty() ? null : f.getFile(),
              f.getLine()));
    }
    return out.toArray(new StackTraceElement[0]);
  }

  /** The caller's frames, without Skiff's own. */
  private static StackTraceElement[] localFrames() {
    StackTraceElement[] all = new Throwable().getStackTrace();
    int i = 0;
    while (i < all.length
        && (all[i].getClassName().startsWith("dev.skiff.internal.")
            || isApiFrame(all[i].getClassName()))) {
      i++;
    }
    return Arrays.copyOfRange(all, i, all.length);
  }

  private static boolean isApiFrame(String className) {
    return className.startsWith("dev.skiff.") && className.indexOf('.', "dev.skiff.".length()) < 0;
  }
}
