package dev.skiff.internal.container;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.skiff.PayloadException;
import dev.skiff.WebRequest;
import dev.skiff.WebResponse;
import dev.skiff.internal.PayloadCodec;
import dev.skiff.internal.WebEndpointSpec;
import dev.skiff.proto.HttpField;
import dev.skiff.proto.HttpInput;
import dev.skiff.proto.HttpOutput;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Serves a web endpoint's inputs in a container. Each input is an {@link HttpInput} (the request as
 * the gateway received it) and each result an {@link HttpOutput}.
 *
 * <p>The simple form maps query parameters ({@code GET}) or the fields of a JSON object body
 * ({@code POST}) onto the method's parameters by name, converting them to the declared types with
 * Jackson; a missing or unconvertible parameter is answered with 400 and a JSON message, without
 * calling the method. The method's value is sent as JSON (a {@link WebResponse} as it is). The
 * low-level form hands the method a {@link WebRequest} and sends the {@link WebResponse} it
 * returns. Exceptions of the method propagate to the worker, which reports them as the input's
 * error. Thread-safe.
 */
final class WebInvocation {
  private static final ObjectMapper JSON = PayloadCodec.jsonMapper();

  private final WebEndpointSpec spec;
  private final Method method;
  private final JavaType[] types;

  private WebInvocation(WebEndpointSpec spec, Method method) {
    this.spec = spec;
    this.method = method;
    Type[] generic = method.getGenericParameterTypes();
    this.types = new JavaType[generic.length];
    for (int i = 0; i < generic.length; i++) {
      types[i] = JSON.getTypeFactory().constructType(generic[i]);
    }
  }

  /** The invocation of {@code method}, if it serves a web endpoint. */
  static Optional<WebInvocation> forMethod(Method method) {
    return WebEndpointSpec.of(method).map(spec -> new WebInvocation(spec, method));
  }

  /** A request the method is not called for: answered at once with this response. */
  private static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Runs one request.
   *
   * @return the encoded {@link HttpOutput}
   * @throws Exception what the method throws (wrapped as reflection wraps it)
   * @throws PayloadException if the method's value cannot be encoded as JSON
   */
  ByteString handle(ByteString args) throws Exception {
    HttpInput in;
    try {
      in = HttpInput.parseFrom(args);
    } catch (InvalidProtocolBufferException e) {
      return error(400, "the input of web endpoint '" + spec.label() + "' is not an HTTP request");
    }
    if (spec.raw()) {
      Object value = await(method.invoke(null, request(in)));
      if (!(value instanceof WebResponse response)) {
        throw new IllegalStateException(
            "web endpoint '" + spec.label() + "' returned null; it must return a WebResponse");
      }
      return output(response);
    }
    Object[] values;
    try {
      values = bind(in);
    } catch (BadRequest e) {
      return error(400, e.getMessage());
    }
    Object value = await(method.invoke(null, values));
    if (value instanceof WebResponse response) {
      return output(response);
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new PayloadException(
          "the value of web endpoint '"
              + spec.label()
              + "' ("
              + value.getClass().getName()
              + ") cannot be encoded as JSON: "
              + e.getOriginalMessage(),
          e);
    }
    return HttpOutput.newBuilder()
        .setStatus(200)
        .addHeaders(header("Content-Type", "application/json"))
        .setBody(ByteString.copyFrom(json))
        .build()
        .toByteString();
  }

  private static Object await(Object value) throws Exception {
    return value instanceof CompletionStage<?> stage ? stage.toCompletableFuture().get() : value;
  }

  private Object[] bind(HttpInput in) throws BadRequest {
    Object[] values = new Object[types.length];
    if (in.getMethod().equals("POST")) {
      JsonNode body;
      try {
        body = JSON.readTree(in.getBody().toByteArray());
      } catch (IOException e) {
        throw new BadRequest("the request body is not valid JSON: " + firstLine(e.getMessage()));
      }
      if (body == null || !body.isObject()) {
        throw new BadRequest(
            "the request body is not a JSON object; send an object of the parameters "
                + signature());
      }
      for (int i = 0; i < types.length; i++) {
        String name = spec.parameters().get(i);
        JsonNode node = body.get(name);
        if (node == null) {
          values[i] = absent(i, "field");
          continue;
        }
        try {
          values[i] = JSON.treeToValue(node, types[i]);
        } catch (JsonProcessingException | IllegalArgumentException e) {
          throw new BadRequest(
              "field '"
                  + name
                  + "' is "
                  + node
                  + "; it must be "
                  + typeName(i)
                  + ": "
                  + firstLine(e.getMessage()));
        }
      }
      return values;
    }
    Map<String, List<String>> query = new LinkedHashMap<>();
    for (HttpField f : in.getQueryList()) {
      query.computeIfAbsent(f.getName(), k -> new ArrayList<>()).add(f.getValue());
    }
    for (int i = 0; i < types.length; i++) {
      String name = spec.parameters().get(i);
      List<String> given = query.get(name);
      values[i] = given == null ? absent(i, "query parameter") : fromQuery(i, name, given);
    }
    return values;
  }

  private Object absent(int i, String what) throws BadRequest {
    if (types[i].getRawClass() == Optional.class) {
      return Optional.empty();
    }
    throw new BadRequest(
        "missing "
            + what
            + " '"
            + spec.parameters().get(i)
            + "' ("
            + typeName(i)
            + "); the endpoint takes "
            + signature());
  }

  private Object fromQuery(int i, String name, List<String> given) throws BadRequest {
    JavaType type = types[i];
    if (type.isCollectionLikeType() || type.isArrayType()) {
      try {
        return JSON.convertValue(given, type);
      } catch (IllegalArgumentException e) {
        throw new BadRequest(
            "query parameter '"
                + name
                + "' is "
                + given
                + "; it must be "
                + typeName(i)
                + ": "
                + firstLine(e.getMessage()));
      }
    }
    String value = given.getFirst();
    Class<?> raw = type.getRawClass();
    if (raw == String.class || raw == Object.class || raw == CharSequence.class) {
      return value;
    }
    try {
      return JSON.readValue(value, type); // numbers, booleans, JSON objects and lists
    } catch (JsonProcessingException notJson) {
      try {
        return JSON.convertValue(value, type); // enums, dates, quoted forms
      } catch (IllegalArgumentException e) {
        throw new BadRequest(
            "query parameter '"
                + name
                + "' is '"
                + value
                + "'; it must be "
                + typeName(i)
                + ": "
                + firstLine(e.getMessage()));
      }
    }
  }

  private String typeName(int i) {
    return method
        .getGenericParameterTypes()[i]
        .getTypeName()
        .replace("java.lang.", "")
        .replace("java.util.", "");
  }

  private String signature() {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < types.length; i++) {
      parts.add(spec.parameters().get(i) + " (" + typeName(i) + ")");
    }
    return parts.isEmpty() ? "no parameters" : String.join(", ", parts);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl > 0 ? s.substring(0, nl) : s;
  }

  private static WebRequest request(HttpInput in) {
    Map<String, List<String>> query = new LinkedHashMap<>();
    in.getQueryList()
        .forEach(f -> query.computeIfAbsent(f.getName(), k -> new ArrayList<>()).add(f.getValue()));
    Map<String, List<String>> headers = new LinkedHashMap<>();
    in.getHeadersList()
        .forEach(
            f -> headers.computeIfAbsent(f.getName(), k -> new ArrayList<>()).add(f.getValue()));
    return new WebRequest(in.getMethod(), in.getPath(), query, headers, in.getBody().toByteArray());
  }

  private static ByteString output(WebResponse response) {
    HttpOutput.Builder out =
        HttpOutput.newBuilder()
            .setStatus(response.status())
            .setBody(ByteString.copyFrom(response.body()));
    response.headers().forEach((k, v) -> out.addHeaders(header(k, v)));
    return out.build().toByteString();
  }

  private static ByteString error(int status, String message) {
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(Map.of("error", message));
    } catch (JsonProcessingException e) {
      json = "{\"error\":\"bad request\"}".getBytes(StandardCharsets.UTF_8);
    }
    return HttpOutput.newBuilder()
        .setStatus(status)
        .addHeaders(header("Content-Type", "application/json"))
        .setBody(ByteString.copyFrom(json))
        .build()
        .toByteString();
  }

  private static HttpField header(String name, String value) {
    return HttpField.newBuilder().setName(name).setValue(value).build();
  }
}
