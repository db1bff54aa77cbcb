package dev.skiff.server.backend.kubernetes;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How the Kubernetes backend runs pods, read from the server's environment ({@link
 * #fromEnvironment}) so that a deployment manifest sets it.
 *
 * @param namespace where pods, their secrets, volume claims and config maps live ({@value
 *     #NAMESPACE})
 * @param image the registry image every pod runs, with a Java 21 runtime ({@value #IMAGE}), unless
 *     its function names an image
 * @param jdkImage the registry image the pods of a function on {@code Image.jdk(n)} run, with
 *     {@value #FEATURE} replaced by {@code n} ({@value #JDK_IMAGE})
 * @param storageClass the storage class of the volume claims it creates; empty: the cluster's
 *     default ({@value #STORAGE_CLASS})
 * @param volumeSize the size each volume claim asks for, e.g. {@code 10Gi} ({@value #VOLUME_SIZE})
 * @param controlPlaneId the control plane's id, the value of its pods' {@code
 *     skiff.dev/control-plane} label ({@value #CONTROL_PLANE_ID})
 * @param controlPlane {@code host:port} of the control plane's TCP listener for containers ({@value
 *     #CONTROL_PLANE})
 * @param jarUrl the base of the control plane's jar endpoint, ending in {@code /} ({@value
 *     #JAR_URL})
 * @param certificatePem the PEM certificate pods pin for both; empty: plaintext ({@value
 *     #CERTIFICATE})
 * @param startWait how long {@code start} waits for a pod to run, or to fail to pull its image,
 *     before it returns the pod as created
 * @param stopGrace the grace period of a stopped pod
 */
record KubernetesSettings(
    String namespace,
    String image,
    String jdkImage,
    Optional<String> storageClass,
    String volumeSize,
    String controlPlaneId,
    String controlPlane,
    String jarUrl,
    String certificatePem,
    Duration startWait,
    Duration stopGrace) {
  static final String NAMESPACE = "SKIFF_KUBERNETES_NAMESPACE";
  static final String IMAGE = "SKIFF_KUBERNETES_IMAGE";
  static final String JDK_IMAGE = "SKIFF_KUBERNETES_JDK_IMAGE";
  static final String STORAGE_CLASS = "SKIFF_KUBERNETES_STORAGE_CLASS";
  static final String VOLUME_SIZE = "SKIFF_KUBERNETES_VOLUME_SIZE";
  static final String CONTROL_PLANE_ID = "SKIFF_KUBERNETES_CONTROL_PLANE_ID";
  static final String CONTROL_PLANE = "SKIFF_KUBERNETES_CONTROL_PLANE";
  static final String JAR_URL = "SKIFF_KUBERNETES_JAR_URL";
  static final String CERTIFICATE = "SKIFF_KUBERNETES_CERTIFICATE";

  static final String DEFAULT_NAMESPACE = "skiff";
  static final String DEFAULT_IMAGE = "eclipse-temurin:21-jre";
  static final String FEATURE = "{feature}";
  static final String DEFAULT_JDK_IMAGE = "eclipse-temurin:" + FEATURE + "-jre";

  KubernetesSettings {
    Objects.requireNonNull(storageClass, "storageClass");
    String[][] required = {
      {NAMESPACE, namespace},
      {IMAGE, image},
      {JDK_IMAGE, jdkImage},
      {VOLUME_SIZE, volumeSize},
      {CONTROL_PLANE_ID, controlPlaneId},
      {CONTROL_PLANE, controlPlane},
      {JAR_URL, jarUrl}
    };
    for (String[] setting : required) {
      if (setting[1].isBlank()) {
        throw new IllegalArgumentException(
            setting[0] + " is empty; the Kubernetes backend needs it set");
      }
    }
    if (!jarUrl.endsWith("/")) {
      throw new IllegalArgumentException(
          JAR_URL + " must end with '/' (the jar's sha-256 is appended), got '" + jarUrl + "'");
    }
  }

  /** The registry image that runs the pods of a function on {@code Image.jdk(feature)}. */
  String jdkImage(int feature) {
    return jdkImage.replace(FEATURE, Integer.toString(feature));
  }

  /**
   * The settings in {@code env}, with defaults for the namespace ({@value #DEFAULT_NAMESPACE}), the
   * image ({@value #DEFAULT_IMAGE}), the JDK images ({@value #DEFAULT_JDK_IMAGE}), the storage
   * class (the cluster's default), the volume size ({@code 10Gi}) and the control plane id ({@code
   * hostname}, the pod's name where the server runs in a pod).
   *
   * @throws IllegalArgumentException if the control plane's address or jar endpoint is missing
   */
  static KubernetesSettings fromEnvironment(Map<String, String> env) {
    return new KubernetesSettings(
        env.getOrDefault(NAMESPACE, DEFAULT_NAMESPACE),
        env.getOrDefault(IMAGE, DEFAULT_IMAGE),
        env.getOrDefault(JDK_IMAGE, DEFAULT_JDK_IMAGE),
        Optional.ofNullable(env.get(STORAGE_CLASS)).filter(s -> !s.isBlank()),
        env.getOrDefault(VOLUME_SIZE, "10Gi"),
        env.getOrDefault(CONTROL_PLANE_ID, env.getOrDefault("HOSTNAME", "skiff")),
        env.getOrDefault(CONTROL_PLANE, ""),
        env.getOrDefault(JAR_URL, ""),
        env.getOrDefault(CERTIFICATE, ""),
        Duration.ofSeconds(30),
        Duration.ofSeconds(10));
  }
}
