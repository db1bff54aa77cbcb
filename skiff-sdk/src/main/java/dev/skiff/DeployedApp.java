package dev.skiff;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An app deployed on the long-running server with {@link App#deploy()}: it runs there until
 * undeployed, keeping its schedules and web endpoints, and its functions can be called from any
 * program with {@link RemoteFunction#fromName}.
 *
 * @param name the app's name
 * @param appId the id of this version on the server
 * @param version 1 for the first deployment of the name, one more for each redeployment
 * @param functionNames the names of its functions
 * @param webUrls the URL of each web endpoint, by function name
 * @param deployedAt when this version was deployed
 */
public record DeployedApp(
    String name,
    String appId,
    long version,
    List<String> functionNames,
    Map<String, String> webUrls,
    Instant deployedAt) {
  /** Copies the collections. */
  public DeployedApp {
    functionNames = List.copyOf(functionNames);
    webUrls = Map.copyOf(webUrls);
  }
}
