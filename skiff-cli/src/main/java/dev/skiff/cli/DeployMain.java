package dev.skiff.cli;

import dev.skiff.App;
import dev.skiff.DeployedApp;
import dev.skiff.SkiffException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The child JVM of {@code skiff deploy}: initialises the program's class (which defines its
 * functions), finds its {@link App} and deploys it, with this JVM's classpath (the program's
 * classes first) as the app's classpath.
 */
public final class DeployMain {
  private DeployMain() {}

  /**
   * Deploys the App of the class {@code args[0]}; prints what was deployed, or one line {@code
   * skiff: ...} on stderr and exits with 1.
   */
  public static void main(String[] args) {
    try {
      DeployedApp d = appOf(args[0]).deploy();
      System.out.println(
          "deployed app '"
              + d.name()
              + "' version "
              + d.version()
              + " ("
              + d.appId()
              + ") with"
              + " functions "
              + d.functionNames());
      new TreeMap<>(d.webUrls()).forEach((f, url) -> System.out.println("  " + f + ": " + url));
      System.exit(0);
    } catch (SkiffException | CliException e) {
      System.err.println("skiff: " + e.getMessage().strip().replace("\n", " "));
      System.exit(1);
    }
  }

  /** The App of {@code className}: its one static App field, or its static {@code app()}. */
  static App appOf(String className) {
    Class<?> c;
    try {
      c = Class.forName(className, true, DeployMain.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new CliException("class " + className + " is not on the classpath");
    } catch (ExceptionInInitializerError e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new CliException(
          "class "
              + className
              + " failed to initialise: "
              + cause.getClass().getName()
              + ": "
              + cause.getMessage());
    }
    try {
      Method m = c.getDeclaredMethod("app");
      if (Modifier.isStatic(m.getModifiers()) && App.class.isAssignableFrom(m.getReturnType())) {
        m.setAccessible(true);
        return (App) m.invoke(null);
      }
    } catch (NoSuchMethodException e) {
      // Look for a field instead.
    } catch (IllegalAccessException | InvocationTargetException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new CliException(className + ".app() failed: " + cause);
    }
    List<Field> fields = new ArrayList<>();
    for (Field f : c.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && App.class.isAssignableFrom(f.getType())) {
        fields.add(f);
      }
    }
    if (fields.size() != 1) {
      throw new CliException(
          "class "
              + className
              + " must have exactly one static App field, or a static app()"
              + " method; it has "
              + (fields.isEmpty() ? "none" : fields.stream().map(Field::getName).toList()));
    }
    try {
      fields.get(0).setAccessible(true);
      App app = (App) fields.get(0).get(null);
      if (app == null) {
        throw new CliException(
            "the App field " + className + "." + fields.get(0).getName() + " is null");
      }
      return app;
    } catch (IllegalAccessException e) {
      throw new CliException("cannot read " + className + "." + fields.get(0).getName() + ": " + e);
    }
  }
}
