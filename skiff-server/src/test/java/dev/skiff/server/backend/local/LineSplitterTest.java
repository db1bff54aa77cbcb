package dev.skiff.server.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {
  private static List<String> split(int max, String text) throws IOException {
    return split(max, new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static List<String> split(int max, InputStream in) throws IOException {
    List<String> lines = new ArrayList<>();
    new LineSplitter(max).split(in, lines::add);
    return lines;
  }

  @Test
  void shortLinesPassWholeWithoutTheirTerminators() throws IOException {
    assertThat(split(16, "one\ntwo\r\n\nlast")).containsExactly("one", "two", "", "last");
  }

  @Test
  void aLineOfExactlyTheLimitIsWhole() throws IOException {
    assertThat(split(8, "12345678\nnext\n")).containsExactly("12345678", "next");
  }

  @Test
  void aLongerLineIsSplitAndEachPieceButTheLastSaysSo() throws IOException {
    assertThat(split(4, "abcdefghij\nk\n"))
        .containsExactly(
            "abcd" + LineSplitter.CONTINUES, "efgh" + LineSplitter.CONTINUES, "ij", "k");
  }

  @Test
  void aPieceNeverSplitsACharacter() throws IOException {
    // "é" is two bytes and "€" three: a cut after 5 bytes would fall inside the second "€".
    List<String> lines = split(5, "é€€x\n");
    assertThat(lines).containsExactly("é€" + LineSplitter.CONTINUES, "€x");
    assertThat(String.join("", lines).replace(LineSplitter.CONTINUES, "")).isEqualTo("é€€x");
  }

  @Test
  void anEndlessLineIsReadInBoundedPieces() throws IOException {
    long total = 64L << 20; // 64 MiB of one line, generated as it is read: never in memory
    InputStream endless =
        new InputStream() {
          long left = total;

          @Override
          public int read() {
            return left-- > 0 ? 'x' : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (left <= 0) {
              return -1;
            }
            int n = (int) Math.min(len, left);
            Arrays.fill(b, off, off + n, (byte) 'x');
            left -= n;
            return n;
          }
        };
    long[] pieces = {0};
    long[] chars = {0};
    new LineSplitter(LineSplitter.MAX_LINE_BYTES)
        .split(
            endless,
            line -> {
              assertThat(line.length())
                  .isLessThanOrEqualTo(
                      LineSplitter.MAX_LINE_BYTES + LineSplitter.CONTINUES.length());
              pieces[0]++;
              chars[0] += line.replace(LineSplitter.CONTINUES, "").length();
            });
    assertThat(pieces[0]).isEqualTo(total / LineSplitter.MAX_LINE_BYTES);
    assertThat(chars[0]).isEqualTo(total);
  }
}
