package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.testing.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The durable-spawn fault that the server tests share: concurrent spawns of {@link
 * DeployedFns#record} from another JVM, the server killed -9 while they run, and after a restart
 * every spawn that returned completed exactly once (its result stored once; it may have run again).
 */
final class KilledSpawns {
  private static final String IDS = "killed-spawns-ids.txt";

  /**
   * Spawns {@code n} calls from another JVM and kill -9s the server once {@code atLeast} of them
   * returned; waits for its containers to go.
   *
   * @return the call id of each spawn that returned, with its input
   */
  static Map<String, Integer> spawnAndKill(ServerProcess server, int n, int atLeast)
      throws Exception {
    Path ids = server.home().resolve(IDS);
    Files.createFile(ids);
    Process spawner =
        server.startJava(
            server.home().resolve("spawner.log"),
            ServerClients.class.getName(),
            "spawn",
            Integer.toString(n),
            "record.txt",
            ids.toString());
    await()
        .atMost(Duration.ofMinutes(2))
        .until(() -> Files.readAllLines(ids).size() >= atLeast || !spawner.isAlive());
    List<ProcessHandle> containers =
        ProcessHandle.of(server.pid()).orElseThrow().descendants().toList();
    server.kill9();
    spawner.waitFor();
    // Containers do not outlive their server for long.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> containers.stream().noneMatch(ProcessHandle::isAlive));

    List<String> lines = Files.readAllLines(ids);
    Map<String, Integer> accepted = new HashMap<>();
    for (String line : lines) {
      String[] parts = line.split(" ", -1);
      accepted.put(parts[0], Integer.parseInt(parts[1]));
    }
    assertThat(accepted).hasSizeGreaterThanOrEqualTo(atLeast);
    // Every concurrent spawn that returned got a call id of its own.
    assertThat(accepted).hasSameSizeAs(lines);
    return accepted;
  }

  /**
   * After the restart: reads the result of every spawn that returned from another JVM, checks that
   * it is its input doubled and that its input ran, and prints how many ran again.
   */
  static void checkCompletedOnce(ServerProcess server, Map<String, Integer> accepted, String what)
      throws Exception {
    String out =
        server.runJava(
            Duration.ofMinutes(5),
            ServerClients.class.getName(),
            "get",
            server.home().resolve(IDS).toString());
    checkResults(out, accepted);
    Path record =
        server
            .dataDir()
            .resolve("volumes")
            .resolve(DeployedFns.RECORD_VOLUME)
            .resolve("record.txt");
    List<Integer> runs = Files.readAllLines(record).stream().map(Integer::parseInt).toList();
    Set<Integer> ran = Set.copyOf(runs);
    assertThat(ran).containsAll(accepted.values());
    System.out.printf(
        "%s: kill -9 with %d spawns returned: %d runs recorded for %d distinct inputs"
            + " (%d ran again after the restart)%n",
        what, accepted.size(), runs.size(), ran.size(), runs.size() - ran.size());
  }

  /**
   * Checks the output of {@code ServerClients get}: a result for every spawn that returned, its
   * input doubled.
   *
   * @return the results by call id
   */
  static Map<String, Integer> checkResults(String out, Map<String, Integer> accepted) {
    Map<String, Integer> results =
        out.lines()
            .filter(l -> l.startsWith("fc-"))
            .map(l -> l.split(" "))
            .collect(Collectors.toMap(p -> p[0], p -> Integer.parseInt(p[1])));
    assertThat(results).hasSameSizeAs(accepted);
    accepted.forEach((id, input) -> assertThat(results.get(id)).as(id).isEqualTo(input * 2));
    return results;
  }

  private KilledSpawns() {}
}
