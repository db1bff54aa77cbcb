package dev.skiff.server.backend.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits a container's output into lines of at most {@link #maxBytes} bytes of UTF-8, holding no
 * more than that (plus one read buffer) in memory however long a line is. A longer line is handed
 * on in pieces: each piece but the last ends with {@value #CONTINUES}, and no piece splits a
 * character. A line ends at {@code \n}; a {@code \r} before it is dropped. Not thread-safe: one
 * splitter reads one stream.
 */
final class LineSplitter {
  /** The longest line handed on whole, in bytes of UTF-8: 16 KiB. */
  static final int MAX_LINE_BYTES = 16 * 1024;

  /** Ends each piece of a longer line but the last. */
  static final String CONTINUES = "[skiff: line continues]";

  private final int maxBytes;
  private final byte[] line;
  private final byte[] buffer = new byte[8192];
  private int length;

  LineSplitter(int maxBytes) {
    if (maxBytes < 4) {
      throw new IllegalArgumentException("maxBytes must be >= 4 (one character), was " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.line = new byte[maxBytes];
  }

  /** Reads {@code in} to its end, handing each line or piece to {@code sink}. */
  void split(InputStream in, Consumer<String> sink) throws IOException {
    int n;
    while ((n = in.read(buffer)) != -1) {
      int i = 0;
      while (i < n) {
        int newline = indexOfNewline(buffer, i, n);
        int end = newline < 0 ? n : newline;
        while (i < end) {
          if (length == maxBytes) {
            piece(sink);
          }
          int k = Math.min(end - i, maxBytes - length);
          System.arraycopy(buffer, i, line, length, k);
          length += k;
          i += k;
        }
        if (newline >= 0) {
          whole(sink);
          i = newline + 1;
        }
      }
    }
    if (length > 0) {
      whole(sink);
    }
  }

  private static int indexOfNewline(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private void whole(Consumer<String> sink) {
    int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
    length = 0;
    sink.accept(new String(line, 0, end, StandardCharsets.UTF_8));
  }

  /** Hands on the full buffer up to its last whole character, keeping the rest for the next. */
  private void piece(Consumer<String> sink) {
    int cut = characterBoundary();
    String text = new String(line, 0, cut, StandardCharsets.UTF_8) + CONTINUES;
    System.arraycopy(line, cut, line, 0, length - cut);
    length -= cut;
    sink.accept(text);
  }

  /** The largest {@code cut <= length} that does not split a UTF-8 character. */
  private int characterBoundary() {
    int start = length - 1;
    while (start > 0 && length - start < 4 && (line[start] & 0xC0) == 0x80) {
      start--; // continuation bytes
    }
    int lead = line[start] & 0xFF;
    int size = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    int cut = start + size <= length ? length : start;
    return cut == 0 ? length : cut; // not UTF-8: cut anywhere
  }
}
