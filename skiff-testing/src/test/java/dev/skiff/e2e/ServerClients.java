package dev.skiff.e2e;

import dev.skiff.FunctionCall;
import dev.skiff.RemoteFunction;
import dev.skiff.SkiffException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

/**
 * Client programs that the server tests run as new JVMs. They find the server through the client
 * config in {@code SKIFF_HOME} only.
 *
 * <ul>
 *   <li>{@code lookup}: remote, map, starmap-free map, spawn and remoteGen on app "durable";
 *   <li>{@code spawn N RECORD IDS [THREADS]}: spawns N calls of {@code record} from THREADS threads
 *       (default 64; RECORD: a file name in its volume), appending {@code id input} to IDS as each
 *       spawn returns;
 *   <li>{@code fallback}: an ephemeral run and a deploy, for a config whose server is down;
 *   <li>{@code square N}: one call of {@code square} on app "durable", printing {@code square=R} or
 *       {@code failed: MESSAGE};
 *   <li>{@code get IDS}: {@code FunctionCall.fromId(id).get()} for each id, printing {@code id
 *       value}.
 * </ul>
 */
public final class ServerClients {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "lookup" -> lookup();
      case "spawn" ->
          spawn(
              Integer.parseInt(args[1]),
              args[2],
              Path.of(args[3]),
              args.length > 4 ? Integer.parseInt(args[4]) : 64);
      case "get" -> get(Path.of(args[1]));
      case "fallback" -> fallback();
      case "square" -> square(Integer.parseInt(args[1]));
      default -> throw new IllegalArgumentException(args[0]);
    }
    System.exit(0);
  }

  private static void lookup() {
    RemoteFunction<Integer> square = RemoteFunction.fromName("durable", "square", Integer.class);
    System.out.println("remote=" + square.remote(7));
    System.out.println(
        "map="
            + square.map(List.of(1, 2, 3)).map(String::valueOf).collect(Collectors.joining(",")));
    FunctionCall<Integer> call = square.spawn(9);
    System.out.println("spawn=" + call.get());
    System.out.println("async=" + square.remoteAsync(4).join());
    RemoteFunction<Integer> countTo = RemoteFunction.fromName("durable", "countTo", Integer.class);
    try (var items = countTo.remoteGen(4)) {
      System.out.println("gen=" + items.map(String::valueOf).collect(Collectors.joining(",")));
    }
  }

  private static void spawn(int n, String recordFile, Path ids, int threads) throws Exception {
    RemoteFunction<Integer> record = RemoteFunction.fromName("durable", "record", Integer.class);
    long start = System.nanoTime();
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(ids));
        ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      for (int i = 0; i < n; i++) {
        int input = i;
        pool.submit(
            () -> {
              try {
                String id = record.spawn(recordFile, input).id();
                synchronized (out) {
                  out.println(id + " " + input);
                  out.flush();
                }
              } catch (RuntimeException e) {
                // The server was killed: this spawn did not return, so it promises nothing.
              }
            });
      }
    }
    System.out.println("spawns ended after " + (System.nanoTime() - start) / 1_000_000 + " ms");
  }

  private static void fallback() {
    try (var run = DeployedFns.app.run()) {
      System.out.println("ephemeral=" + DeployedFns.square.remote(3));
    }
    try {
      DeployedFns.app.deploy();
      System.out.println("deployed?!");
    } catch (SkiffException e) {
      System.out.println("deploy failed: " + e.getMessage());
    }
  }

  private static void square(int n) {
    try {
      RemoteFunction<Integer> square = RemoteFunction.fromName("durable", "square", Integer.class);
      System.out.println("square=" + square.remote(n));
    } catch (SkiffException e) {
      System.out.println("failed: " + e.getMessage());
    }
  }

  private static void get(Path ids) throws IOException {
    for (String line : Files.readAllLines(ids)) {
      String id = line.split(" ", -1)[0];
      FunctionCall<Integer> call = FunctionCall.fromId(id);
      System.out.println(id + " " + call.get());
    }
  }

  private ServerClients() {}
}
