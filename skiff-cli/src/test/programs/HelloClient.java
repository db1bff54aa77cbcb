import dev.skiff.FunctionCall;
import dev.skiff.RemoteFunction;
import java.util.List;

/**
 * Run by the CLI tests with {@code skiff run} against a server where the hello example is deployed.
 * With no arguments it looks up {@code hello.hello} and calls it with {@code remote}, {@code map}
 * and {@code spawn}, printing each result and the spawned call's id; with {@code get ID} it prints
 * the result of that call by id.
 */
public final class HelloClient {
  public static void main(String[] args) {
    if (args.length == 2 && args[0].equals("get")) {
      FunctionCall<String> call = FunctionCall.fromId(args[1]);
      System.out.println("got " + call.get());
      return;
    }
    RemoteFunction<String> hello = RemoteFunction.fromName("hello", "hello", String.class);
    System.out.println("remote " + hello.remote("Lookup"));
    System.out.println("map " + hello.map(List.of("Alice", "Bob", "Charlie")).toList());
    FunctionCall<String> call = hello.spawn("Spawned");
    System.out.println("spawned " + call.id());
  }
}
