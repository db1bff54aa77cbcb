package dev.skiff.internal;

import dev.skiff.FunctionOptions;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.Retries;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.RetryPolicy;
import dev.skiff.proto.VolumeMount;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.stream.BaseStream;

/**
 * One defined function: its method, options and the codecs of its arguments and result, built once
 * at definition time. Immutable.
 *
 * @param appName the app that defines it
 * @param name the function's name within the app
 * @param method the static method that runs in the container
 * @param generator whether the method returns a stream of items
 * @param options the declared options
 * @param args the codec of its parameters
 * @param result the codec of its result, or of each item for a generator
 */
public record FunctionSpec(
    String appName,
    String name,
    Method method,
    boolean generator,
    FunctionOptions options,
    PayloadCodec.ArgsCodec args,
    PayloadCodec.ValueCodec result) {

  /** Builds the spec of a function, checking its method's shape. */
  public static FunctionSpec of(
      String appName, String name, Method method, boolean generator, FunctionOptions options) {
    Type resultType =
        generator ? itemType(name, method) : awaitedType(method.getGenericReturnType());
    return new FunctionSpec(
        appName,
        name,
        method,
        generator,
        options,
        PayloadCodec.forParameters(method.getGenericParameterTypes()),
        PayloadCodec.forType(resultType));
  }

  /**
   * Builds the spec of a generator, checking now what its items are: the method must return a
   * {@code Stream}, {@code Iterator} or {@code Iterable}; its declared item type must be one that
   * payloads can carry (encode in the container and decode at the caller); and where the caller's
   * handle declares {@code handleItemType}, the method's items must be of that type.
   *
   * @throws InvalidConfigurationException naming the generator, the declared item type and what is
   *     allowed, where one of these does not hold
   */
  public static FunctionSpec ofGenerator(
      String appName,
      String name,
      Method method,
      Optional<Class<?>> handleItemType,
      FunctionOptions options) {
    Type item = itemType(name, method);
    PayloadCodec.ValueCodec codec = PayloadCodec.forType(item);
    codec
        .unsupportedReason()
        .ifPresent(
            why -> {
              throw new InvalidConfigurationException(
                  "generator '"
                      + name
                      + "': "
                      + where(method)
                      + " yields items of type "
                      + item.getTypeName()
                      + ", which payloads cannot carry ("
                      + why
                      + "); allowed: "
                      + PayloadCodec.ALLOWED);
            });
    handleItemType.ifPresent(
        declared -> {
          Class<?> produced = rawClass(item);
          if (!wrap(declared).isAssignableFrom(produced)) {
            throw new InvalidConfigurationException(
                "generator '"
                    + name
                    + "' is declared with items of type "
                    + declared.getName()
                    + ", but "
                    + where(method)
                    + " yields items of type "
                    + item.getTypeName()
                    + "; declare the generator with "
                    + produced.getName()
                    + " or a supertype of it");
          }
        });
    return new FunctionSpec(
        appName,
        name,
        method,
        true,
        options,
        PayloadCodec.forParameters(method.getGenericParameterTypes()),
        codec);
  }

  private static String where(Method method) {
    return method.getDeclaringClass().getName() + "." + method.getName();
  }

  private static Class<?> wrap(Class<?> c) {
    return c.isPrimitive() ? MethodType.methodType(c).wrap().returnType() : c;
  }

  /**
   * The spec of a deployed function found by name: arguments are encoded by the method's declared
   * types when its class is on this classpath, else by their own types; results by {@code
   * resultType}. It has no method and default options.
   */
  public static FunctionSpec remote(String appName, FunctionDef def, Type resultType) {
    int arity = parameterCount(def.getMethodDescriptor());
    PayloadCodec.ArgsCodec args;
    try {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      Class<?> owner = Class.forName(def.getClassName(), false, cl);
      Method m = MethodResolver.find(owner, def.getMethodName(), def.getMethodDescriptor());
      args = PayloadCodec.forParameters(m.getGenericParameterTypes());
    } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
      Type[] types = new Type[arity];
      Arrays.fill(types, Object.class);
      args = PayloadCodec.forParameters(types);
    }
    return new FunctionSpec(
        appName,
        def.getName(),
        null,
        def.getGenerator(),
        FunctionOptions.builder(def.getName()).build(),
        args,
        PayloadCodec.forType(resultType));
  }

  /** How many parameters a JVM method descriptor declares. */
  static int parameterCount(String descriptor) {
    int n = 0;
    int i = descriptor.indexOf('(') + 1;
    while (i > 0 && i < descriptor.length() && descriptor.charAt(i) != ')') {
      char c = descriptor.charAt(i);
      while (c == '[') {
        c = descriptor.charAt(++i);
      }
      if (c == 'L') {
        i = descriptor.indexOf(';', i);
      }
      i++;
      n++;
    }
    return n;
  }

  /** The type of value a call yields: a {@code CompletionStage<T>} result is awaited, giving T. */
  public static Type awaitedType(Type returnType) {
    Class<?> raw = rawClass(returnType);
    if (raw == void.class) {
      return Void.class;
    }
    if (CompletionStage.class.isAssignableFrom(raw)) {
      return typeArgument(returnType, 0);
    }
    return returnType;
  }

  /** The item type of a generator method returning a Stream, Iterator or Iterable. */
  public static Type itemType(String name, Method method) {
    Type rt = method.getGenericReturnType();
    Class<?> raw = rawClass(rt);
    if (BaseStream.class.isAssignableFrom(raw)
        || Iterator.class.isAssignableFrom(raw)
        || Iterable.class.isAssignableFrom(raw)) {
      return typeArgument(rt, 0);
    }
    throw new InvalidConfigurationException(
        "generator '"
            + name
            + "': "
            + method.getDeclaringClass().getName()
            + "."
            + method.getName()
            + " returns "
            + rt.getTypeName()
            + "; a generator must return a Stream, Iterator or Iterable");
  }

  private static Class<?> rawClass(Type t) {
    if (t instanceof Class<?> c) {
      return c;
    }
    if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
      return c;
    }
    return Object.class;
  }

  private static Type typeArgument(Type t, int i) {
    if (t instanceof ParameterizedType p) {
      Type a = p.getActualTypeArguments()[i];
      if (a instanceof WildcardType w) {
        return w.getUpperBounds()[0];
      }
      return a instanceof TypeVariable<?> ? Object.class : a;
    }
    return Object.class;
  }

  /** The wire form sent to the control plane. */
  public FunctionDef toProto() {
    FunctionDef.Builder b =
        FunctionDef.newBuilder()
            .setName(name)
            .setClassName(method.getDeclaringClass().getName())
            .setMethodName(method.getName())
            .setMethodDescriptor(MethodResolver.descriptor(method))
            .setGenerator(generator)
            .setConcurrentInputs(options.maxInputs())
            .setTargetInputs(options.targetInputs())
            .setBufferContainers(options.bufferContainers())
            .setMinContainers(options.minContainers())
            .setMaxContainers(options.maxContainers().orElse(0))
            .setScaledownWindowMs(options.scaledownWindow().map(d -> d.toMillis()).orElse(0L))
            .setTimeoutMs(options.timeout().toMillis())
            .setStartupTimeoutMs(options.startupTimeout().toMillis());
    options.retries().ifPresent(r -> b.setRetries(toProto(r)));
    options.schedule().ifPresent(s -> b.setSchedule(ScheduleCodec.toProto(s)));
    options.cpuRequest().ifPresent(b::setCpuRequest);
    options.cpuLimit().ifPresent(b::setCpuLimit);
    options.memoryRequestMib().ifPresent(b::setMemoryRequestMib);
    options.memoryLimitMib().ifPresent(b::setMemoryLimitMib);
    b.addAllGpus(options.gpus());
    b.addAllRegions(options.regions());
    b.setBlockNetwork(options.blockNetwork());
    options
        .volumes()
        .forEach(
            (path, volume) ->
                b.addVolumes(
                    VolumeMount.newBuilder()
                        .setPath(path)
                        .setVolume(volume.name())
                        .setCreateIfMissing(volume.createsIfMissing())));
    return b.build();
  }

  private static RetryPolicy toProto(Retries r) {
    return RetryPolicy.newBuilder()
        .setMaxRetries(r.maxRetries())
        .setInitialDelayMs(r.initialDelay().toMillis())
        .setBackoffCoefficient(r.backoffCoefficient())
        .setMaxDelayMs(r.maxDelay().toMillis())
        .build();
  }
}
