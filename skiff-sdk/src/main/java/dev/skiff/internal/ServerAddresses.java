package dev.skiff.internal;

import dev.skiff.SkiffException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The addresses of a server given as one text: {@code host:port}, {@code unix:/path}, or several
 * replicas of one server as {@code host1:port,host2:port} (they share one database, so any of them
 * serves any call; the client fails over between them).
 */
public final class ServerAddresses {
  private ServerAddresses() {}

  /**
   * Splits and checks a server text.
   *
   * @param text the addresses, comma-separated
   * @param source where the text came from, for messages
   * @return the addresses in the order given, at least one
   * @throws SkiffException naming the bad entry and what is allowed: an empty entry, a missing or
   *     bad port (1 to 65535), an address given twice, or a {@code unix:} socket among others
   */
  public static List<String> parse(String text, String source) {
    String[] parts = text.split(",", -1);
    List<String> out = new ArrayList<>(parts.length);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < parts.length; i++) {
      String a = parts[i].strip();
      if (a.isEmpty()) {
        throw bad(text, source, "entry " + (i + 1) + " is empty");
      }
      if (a.startsWith(SkiffClient.UNIX_PREFIX)) {
        if (parts.length > 1) {
          throw bad(text, source, "a unix: socket ('" + a + "') must be the only address");
        }
      } else {
        checkHostPort(a, text, source);
      }
      if (!seen.add(a)) {
        throw bad(text, source, "'" + a + "' is given twice");
      }
      out.add(a);
    }
    return List.copyOf(out);
  }

  private static void checkHostPort(String a, String text, String source) {
    int colon = a.lastIndexOf(':');
    String host = colon > 0 ? a.substring(0, colon) : "";
    if (colon <= 0 || host.isEmpty() || (host.contains(":") && !host.startsWith("["))) {
      throw bad(text, source, "'" + a + "' is not host:port");
    }
    String port = a.substring(colon + 1);
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      p = -1;
    }
    if (p < 1 || p > 65535) {
      throw bad(text, source, "'" + a + "' has port '" + port + "'; a port is 1 to 65535");
    }
  }

  private static SkiffException bad(String text, String source, String what) {
    return new SkiffException(
        "the server address '"
            + text
            + "' (from "
            + source
            + ") is not valid: "
            + what
            + "; give host:port, or several replicas' addresses separated by commas"
            + " (host1:7733,host2:7733), each once");
  }
}
