package dev.skiff.internal;

import dev.skiff.InvalidConfigurationException;
import java.io.Serializable;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.MethodType;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * Finds the static method behind a method reference or a non-capturing lambda, so that a container
 * can find the same method by class, name and descriptor. Reads the lambda's {@link
 * SerializedLambda} (the same technique as Ray's Java API); never serialises anything.
 */
public final class MethodResolver {
  private MethodResolver() {}

  /**
   * The method a lambda or method reference refers to.
   *
   * @throws InvalidConfigurationException if it captures values, or is not a static method
   */
  public static Method resolve(Serializable lambda) {
    SerializedLambda sl = serializedForm(lambda);
    if (sl.getCapturedArgCount() > 0) {
      throw new InvalidConfigurationException(
          "a Skiff function must be a static method reference or a lambda that captures nothing, but "
              + describe(sl)
              + " captures "
              + sl.getCapturedArgCount()
              + " value(s) (a local variable, a parameter or 'this'); containers cannot see"
              + " captured values: pass them as arguments instead");
    }
    if (sl.getImplMethodKind() != MethodHandleInfo.REF_invokeStatic) {
      throw new InvalidConfigurationException(
          "a Skiff function must be a static method, but "
              + describe(sl)
              + " is "
              + MethodHandleInfo.referenceKindToString(sl.getImplMethodKind())
              + "; declare the method static");
    }
    ClassLoader loader = lambda.getClass().getClassLoader();
    String className = sl.getImplClass().replace('/', '.');
    try {
      Class<?> owner = Class.forName(className, false, loader);
      return find(owner, sl.getImplMethodName(), sl.getImplMethodSignature());
    } catch (ClassNotFoundException e) {
      throw new InvalidConfigurationException("cannot load " + className + ": " + e, e);
    }
  }

  /**
   * Finds a static method by name and JVM descriptor.
   *
   * @throws InvalidConfigurationException if there is none
   */
  public static Method find(Class<?> owner, String name, String descriptor) {
    for (Method m : owner.getDeclaredMethods()) {
      if (m.getName().equals(name)
          && Modifier.isStatic(m.getModifiers())
          && descriptor(m).equals(descriptor)) {
        m.setAccessible(true);
        return m;
      }
    }
    throw new InvalidConfigurationException(
        "no static method " + owner.getName() + "." + name + descriptor);
  }

  /** The JVM descriptor of a method, e.g. {@code (Ljava/lang/String;)Ljava/lang/String;}. */
  public static String descriptor(Method m) {
    return MethodType.methodType(m.getReturnType(), m.getParameterTypes())
        .toMethodDescriptorString();
  }

  private static SerializedLambda serializedForm(Serializable lambda) {
    try {
      Method writeReplace = lambda.getClass().getDeclaredMethod("writeReplace");
      writeReplace.setAccessible(true);
      if (writeReplace.invoke(lambda) instanceof SerializedLambda sl) {
        return sl;
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      // not a lambda: reported below
    }
    throw new InvalidConfigurationException(
        "a Skiff function must be given as a method reference (Hello::hello) or a lambda, not as "
            + lambda.getClass().getName());
  }

  private static String describe(SerializedLambda sl) {
    String name = sl.getImplMethodName();
    String owner = sl.getImplClass().replace('/', '.');
    return name.startsWith("lambda$") ? "the lambda in " + owner : owner + "::" + name;
  }
}
