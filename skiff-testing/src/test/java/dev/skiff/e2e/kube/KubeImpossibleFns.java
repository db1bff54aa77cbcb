package dev.skiff.e2e.kube;

import dev.skiff.App;
import dev.skiff.Function1;

/** An app that no node of the test's cluster could ever run: it asks for an H100. */
public final class KubeImpossibleFns {
  static final App app = App.named("kube-impossible");

  static final Function1<String, String> onH100 =
      app.function(KubeImpossibleFns::onH100, f -> f.gpu("H100"));

  static String onH100(String s) {
    return s;
  }

  private KubeImpossibleFns() {}
}
