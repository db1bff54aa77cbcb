package dev.skiff.server.dashboard;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * HTML made by appending to a builder, every value escaped on the way in ({@link #text}, {@link
 * #attr}); markup is written only as constant strings ({@link #raw}). Not thread-safe.
 */
final class Html {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private final StringBuilder out = new StringBuilder(4096);

  /** Appends markup, which must be a constant of the page's own. */
  Html raw(String markup) {
    out.append(markup);
    return this;
  }

  /** Appends a value as text. */
  Html text(Object value) {
    out.append(escape(String.valueOf(value)));
    return this;
  }

  /** Appends {@code name="value"} (with a leading space), the value escaped. */
  Html attr(String name, Object value) {
    out.append(' ').append(name).append("=\"").append(escape(String.valueOf(value))).append('"');
    return this;
  }

  /** Appends a link whose text and target are values. */
  Html link(String href, Object label) {
    return raw("<a").attr("href", href).raw(">").text(label).raw("</a>");
  }

  /** A table cell holding a value. */
  Html cell(Object value) {
    return raw("<td>").text(value).raw("</td>");
  }

  /** A table's head row of constant labels. */
  Html head(String... labels) {
    raw("<thead><tr>");
    for (String l : labels) {
      raw("<th scope=\"col\">").text(l).raw("</th>");
    }
    return raw("</tr></thead>");
  }

  @Override
  public String toString() {
    return out.toString();
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** {@code value} for a URL's query. */
  static String q(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** A time as {@code 2026-11-29 22:40:01Z}; "-" for 0. */
  static String time(long epochMillis) {
    return epochMillis <= 0 ? "-" : TIME.format(Instant.ofEpochMilli(epochMillis));
  }

  /** A duration as {@code 850 ms}, {@code 2.4 s}, {@code 3 min 5 s}, {@code 2 h 10 min}. */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    if (ms < 60_000) {
      return String.format("%.1f s", ms / 1000.0);
    }
    long s = ms / 1000;
    if (s < 3600) {
      return (s / 60) + " min " + (s % 60) + " s";
    }
    return (s / 3600) + " h " + (s % 3600 / 60) + " min";
  }
}
