package dev.skiff.internal.container;

import com.google.protobuf.ByteString;
import dev.skiff.App;
import dev.skiff.SkiffException;
import dev.skiff.internal.AppBinding;
import dev.skiff.internal.ContainerContext;
import dev.skiff.internal.ErrorCodec;
import dev.skiff.internal.FunctionSpec;
import dev.skiff.internal.MethodResolver;
import dev.skiff.internal.NettyLogging;
import dev.skiff.internal.PayloadCodec;
import dev.skiff.internal.ServerTrust;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.Bind;
import dev.skiff.proto.ContainerApiGrpc;
import dev.skiff.proto.ContainerHello;
import dev.skiff.proto.ContainerMessage;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.Ready;
import dev.skiff.proto.Result;
import io.grpc.ManagedChannel;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.nio.charset.Charset;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The entrypoint of a container JVM. The control plane starts it with the user's classpath and
 * describes the function in environment variables, whose contract is {@link ContainerEnvironment}.
 * A warm container ({@code SKIFF_POOL=true}) is started before any function needs it, without the
 * function variables, and learns its function from a {@link Bind} message.
 *
 * <p>It connects to the control plane, initialises the user's class exactly as the user's program
 * did (running its static initialisers, which define the app's functions), finds the method,
 * reports ready and then serves inputs until told to stop. It exits when the control plane's stream
 * ends or the process that started it dies, so containers never outlive their control plane.
 */
public final class ContainerMain {
  private ContainerMain() {}

  /** Runs the container. */
  public static void main(String[] args) throws InterruptedException {
    NettyLogging.useJdkLogging();
    Charset cs = Charset.defaultCharset();
    System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.out), true, cs));
    System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true, cs));

    Map<String, String> env = System.getenv();
    ContainerEnvironment.Identity identity = parse(() -> ContainerEnvironment.identity(env));
    String server = identity.server();
    String token = identity.token();
    String containerId = identity.containerId();
    watchParent(env);

    ServerTrust trust =
        parse(
            () ->
                ContainerEnvironment.controlPlaneCertificate(env)
                    .<ServerTrust>map(
                        pem -> ServerTrust.pinned(pem, ContainerEnvironment.CONTROL_PLANE_CERT))
                    .orElseGet(ServerTrust::plaintext));
    ManagedChannel channel = SkiffClient.channel(server, token, trust);
    Worker worker = new Worker();
    worker.connect(ContainerApiGrpc.newStub(channel));
    worker.send(
        ContainerMessage.newBuilder()
            .setHello(ContainerHello.newBuilder().setContainerId(containerId).setToken(token))
            .build());

    ContainerEnvironment.Function target;
    if (ContainerEnvironment.isPooled(env)) {
      prewarm();
      target = bound(worker.awaitBind());
    } else {
      target = parse(() -> ContainerEnvironment.function(env));
    }
    ContainerContext.install(
        new AppBinding(target.appName(), target.appId(), SkiffClient.over(server, channel), false));

    Method method;
    try {
      NetworkGate.await(
          ContainerEnvironment.networkInterface(
              env)); // user code runs with the network its function was given, or not at all
      Class<?> owner =
          Class.forName(target.className(), true, ContainerMain.class.getClassLoader());
      method = MethodResolver.find(owner, target.methodName(), target.descriptor());
    } catch (Throwable t) {
      Throwable cause =
          t instanceof ExceptionInInitializerError && t.getCause() != null ? t.getCause() : t;
      System.err.println(
          "skiff: could not initialise function '" + target.functionName() + "': " + cause);
      cause.printStackTrace();
      worker.send(
          ContainerMessage.newBuilder()
              .setInitFailed(ErrorCodec.fromThrowable(cause, ErrorKind.STARTUP_FAILED))
              .build());
      worker.finishAndExit(1);
      return;
    }
    PayloadCodec.ValueCodec result =
        PayloadCodec.forType(
            target.generator()
                ? FunctionSpec.itemType(target.functionName(), method)
                : FunctionSpec.awaitedType(method.getGenericReturnType()));
    worker.serve(
        target.functionName(),
        method,
        PayloadCodec.forParameters(method.getGenericParameterTypes()),
        result,
        target.generator(),
        target.concurrentInputs());
    worker.send(ContainerMessage.newBuilder().setReady(Ready.getDefaultInstance()).build());
    worker.awaitExit();
  }

  /** The function a warm container was bound to. */
  private static ContainerEnvironment.Function bound(Bind b) {
    FunctionDef f = b.getFunction();
    return new ContainerEnvironment.Function(
        b.getAppId(),
        b.getAppName(),
        f.getName(),
        f.getClassName(),
        f.getMethodName(),
        f.getMethodDescriptor(),
        f.getGenerator(),
        Math.max(1, b.getConcurrentInputs()));
  }

  /**
   * Loads and exercises what every container needs (the codec, the wire types) while a warm
   * container waits for its function, so that binding it costs little more than the user's own
   * initialisation.
   */
  // Serialising a result is part of the path warmed; the bytes themselves are not needed.
  @SuppressWarnings("IgnoredPureGetter")
  private static void prewarm() {
    // Defining a function exercises what the user's class initialiser will run.
    App.named("skiff-warm-up").function(ContainerMain::warmUp).name();
    PayloadCodec.ValueCodec codec = PayloadCodec.forType(String.class);
    codec.decode(codec.encode("warm", "warm-up value"), "warm-up value");
    PayloadCodec.ArgsCodec args = PayloadCodec.forParameters(new Type[] {int.class});
    args.decode(args.encode(new Object[] {1}, "warm-up"), "warm-up");
    ErrorCodec.fromThrowable(new IllegalStateException("warm-up"), ErrorKind.USER_EXCEPTION);
    Result.newBuilder().setValue(ByteString.EMPTY).build().toByteArray();
  }

  private static String warmUp(String value) {
    return value;
  }

  /**
   * Parses the environment; a process not started by Skiff, or given a certificate that is not one,
   * says so and exits with 2.
   */
  private static <T> T parse(Supplier<T> parser) {
    try {
      return parser.get();
    } catch (ContainerEnvironment.MissingVariableException | SkiffException e) {
      System.err.println("skiff: " + e.getMessage());
      Runtime.getRuntime().halt(2);
      throw e; // not reached
    }
  }

  /** Exits when the process that started this container dies, even by kill -9. */
  private static void watchParent(Map<String, String> env) {
    OptionalLong parent = ContainerEnvironment.parentPid(env);
    if (parent.isEmpty()) {
      return;
    }
    ProcessHandle.of(parent.getAsLong())
        .ifPresentOrElse(
            p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)),
            () -> Runtime.getRuntime().halt(3));
  }
}
