package dev.skiff.internal.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerEnvironmentTest {
  private static final ContainerEnvironment.Identity ID =
      new ContainerEnvironment.Identity("unix:/s.sock", "tok", "c-1");
  private static final ContainerEnvironment.Function FN =
      new ContainerEnvironment.Function(
          "ap-1", "app", "f", "com.example.F", "run", "(I)I", true, 3);

  @Test
  void whatTheServerWritesTheContainerReadsBack() {
    Map<String, String> env = ContainerEnvironment.of(ID, FN);
    assertThat(env)
        .containsEntry("SKIFF_SERVER", "unix:/s.sock")
        .containsEntry("SKIFF_FUNCTION_DESCRIPTOR", "(I)I")
        .containsEntry("SKIFF_CONCURRENT_INPUTS", "3");
    assertThat(ContainerEnvironment.identity(env)).isEqualTo(ID);
    assertThat(ContainerEnvironment.function(env)).isEqualTo(FN);
    assertThat(ContainerEnvironment.isPooled(env)).isFalse();
  }

  @Test
  void aPodDialsTheControlPlanesTcpListenerPinningItsCertificate() {
    Map<String, String> env = new HashMap<>(ContainerEnvironment.pooled(ID));
    assertThat(ContainerEnvironment.controlPlaneCertificate(env)).isEmpty();
    env.put("SKIFF_CONTROL_PLANE", "");
    env.put("SKIFF_CONTROL_PLANE_CERT", " ");
    assertThat(ContainerEnvironment.identity(env).server()).isEqualTo("unix:/s.sock");
    assertThat(ContainerEnvironment.controlPlaneCertificate(env)).isEmpty();
    env.put("SKIFF_CONTROL_PLANE", "10.0.0.5:7735");
    env.put("SKIFF_CONTROL_PLANE_CERT", "-----BEGIN CERTIFICATE-----");
    assertThat(ContainerEnvironment.identity(env).server()).isEqualTo("10.0.0.5:7735");
    assertThat(ContainerEnvironment.controlPlaneCertificate(env))
        .contains("-----BEGIN CERTIFICATE-----");
    env.remove("SKIFF_SERVER");
    assertThat(ContainerEnvironment.identity(env).server()).isEqualTo("10.0.0.5:7735");
  }

  @Test
  void aWarmContainerHasItsIdentityAndNoFunction() {
    Map<String, String> env = ContainerEnvironment.pooled(ID);
    assertThat(ContainerEnvironment.isPooled(env)).isTrue();
    assertThat(ContainerEnvironment.identity(env)).isEqualTo(ID);
    assertThatThrownBy(() -> ContainerEnvironment.function(env))
        .isInstanceOf(ContainerEnvironment.MissingVariableException.class)
        .hasMessage(
            "container started without SKIFF_APP_ID; it must be started by the Skiff control"
                + " plane");
  }

  @Test
  void backendVariablesAndGpus() {
    Map<String, String> env = new HashMap<>(ContainerEnvironment.pooled(ID));
    assertThat(ContainerEnvironment.parentPid(env)).isEmpty();
    assertThat(ContainerEnvironment.networkInterface(env)).isEmpty();
    env.put(ContainerEnvironment.PARENT_PID, "42");
    env.put(ContainerEnvironment.NETWORK_INTERFACE, "tap0");
    assertThat(ContainerEnvironment.parentPid(env)).hasValue(42);
    assertThat(ContainerEnvironment.networkInterface(env)).contains("tap0");

    assertThat(ContainerEnvironment.gpus("A100", List.of(0, 2), true))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("CUDA_VISIBLE_DEVICES", "0,2", "SKIFF_GPU_TYPE", "A100"));
    assertThat(ContainerEnvironment.gpus("", List.of(), true))
        .containsExactlyEntriesOf(Map.of("CUDA_VISIBLE_DEVICES", ""));
    assertThat(ContainerEnvironment.gpus("", List.of(), false)).isEmpty();
  }
}
