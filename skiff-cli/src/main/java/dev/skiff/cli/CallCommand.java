package dev.skiff.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.google.protobuf.ByteString;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.Result;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code skiff call}: calls a function of a running app once with JSON arguments and prints its
 * result as JSON. Arguments are sent as the JSON values they are (strings, numbers, booleans, null,
 * arrays, objects); the container reads them as the function's declared parameter types, by the
 * same rules as web endpoints (an object for a record, a base64 string for {@code byte[]}).
 */
@Command(
    name = "call",
    description = {
      "Calls FUNCTION of APP once, in a container, and prints its result as JSON.",
      "Each ARG is one argument as a JSON value: a string needs JSON quotes, e.g. '\"World\"'."
          + " A function that throws prints 'skiff: <exception>: <message>' and exits with 1."
    },
    footer = {
      "",
      "Examples:",
      "  skiff call hello hello '\"World\"'",
      "  skiff call calc add 1 2",
      "  skiff call calc total '{\"items\": [1, 2, 3]}'"
    })
final class CallCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final CBORMapper CBOR = new CBORMapper();

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "APP", description = "The app: its name or id (ap-...).")
  String app;

  @Parameters(index = "1", paramLabel = "FUNCTION", description = "The function's name.")
  String function;

  @Parameters(
      index = "2..*",
      arity = "0..*",
      paramLabel = "ARG",
      description = "The arguments, one JSON value each.")
  List<String> args = new ArrayList<>();

  @Override
  public void run() {
    byte[] payload = encode(args);
    Result result;
    try (SkiffClient client = ServerConnection.connect()) {
      String id = AppRefs.find(client, app).getAppId();
      try {
        result =
            client
                .blocking()
                .call(
                    CallRequest.newBuilder()
                        .setFunction(
                            FunctionRef.newBuilder().setAppId(id).setFunctionName(function))
                        .setArgs(ByteString.copyFrom(payload))
                        .build());
      } catch (RuntimeException e) {
        throw client.translate(e);
      }
    }
    if (result.hasError()) {
      ErrorInfo e = result.getError();
      throw new CliException(describe(e));
    }
    try {
      JsonNode value = CBOR.readTree(result.getValue().toByteArray());
      spec.commandLine().getOut().println(JSON.writeValueAsString(value));
      spec.commandLine().getOut().flush();
    } catch (IOException e) {
      throw new CliException("the result of '" + function + "' is not readable: " + e.getMessage());
    }
  }

  /**
   * What a failed call says in one line: the exception's class and message where the function threw
   * ({@code java.lang.IllegalStateException: failed because ...}), the message alone for Skiff's
   * own failures, which have no class ({@code function 'add' takes 2 argument(s), got 1}), and the
   * failure's kind where there is no message either.
   */
  static String describe(ErrorInfo e) {
    String message = e.getMessage().strip();
    if (!e.getClassName().isEmpty()) {
      return message.isEmpty() ? e.getClassName() : e.getClassName() + ": " + message;
    }
    return message.isEmpty()
        ? e.getKind().name().toLowerCase(Locale.ROOT).replace('_', ' ')
        : message;
  }

  /** The arguments as the CBOR array that a call carries. */
  static byte[] encode(List<String> args) {
    ArrayNode array = CBOR.createArrayNode();
    for (int i = 0; i < args.size(); i++) {
      try {
        array.add(JSON.readTree(args.get(i)));
      } catch (JsonProcessingException e) {
        throw new CliException(
            "argument "
                + (i + 1)
                + " is not a JSON value: "
                + args.get(i)
                + " (a string needs quotes, e.g. '\"World\"')",
            2);
      }
    }
    try {
      return CBOR.writeValueAsBytes(array);
    } catch (JsonProcessingException e) {
      throw new CliException("the arguments could not be encoded: " + e.getMessage());
    }
  }
}
