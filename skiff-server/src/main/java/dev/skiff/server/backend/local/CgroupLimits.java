package dev.skiff.server.backend.local;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Hard memory and CPU limits for container processes through Linux control groups, where this
 * process may create them (typically as root, or in a delegated cgroup v2 subtree).
 *
 * <p>Each backend gets a group {@code skiff-<pid>} beside nothing else, under the groups this JVM
 * is in; each limited container gets a child group with {@code memory.limit_in_bytes} / {@code
 * memory.max} set to its memory limit (swap included where the kernel accounts it separately) and a
 * CFS quota of {@code cpus x period}. The container's launch joins its groups before it {@code
 * exec}s the JVM, so no byte runs unlimited. A container the kernel ends for exceeding its memory
 * limit is reported by {@link Group#oomKilled()}.
 *
 * <p>Both cgroup v1 (one hierarchy per controller) and v2 (one unified hierarchy) are handled. On
 * v2 the controllers must be delegable to a child of this process's own group; where they are not
 * (or nothing is writable), {@link #detect} says why and limits stay what the JVM flags enforce.
 * Thread-safe.
 */
final class CgroupLimits {
  private static final System.Logger LOG = System.getLogger(CgroupLimits.class.getName());
  private static final Path ROOT = Path.of("/sys/fs/cgroup");
  private static final long CPU_PERIOD_US = 100_000;

  private final boolean unified;
  private final Path memoryBase; // this backend's group in the memory hierarchy
  private final Path cpuBase; // this backend's group in the cpu hierarchy (same as memory on v2)
  // This backend's group in the pids hierarchy (same as memory on v2), where there is one.
  private final Optional<Path> pidsBase;

  private CgroupLimits(boolean unified, Path memoryBase, Path cpuBase, Optional<Path> pidsBase) {
    this.unified = unified;
    this.memoryBase = memoryBase;
    this.cpuBase = cpuBase;
    this.pidsBase = pidsBase;
  }

  /**
   * Control groups for this process's containers, or empty (with the reason logged once) where this
   * machine does not let this process create them.
   */
  static Optional<CgroupLimits> detect() {
    try {
      String name = "skiff-" + ProcessHandle.current().pid();
      Map<String, String> own = ownGroups(Files.readAllLines(Path.of("/proc/self/cgroup")));
      if (own.containsKey("memory") && own.containsKey("cpu")) {
        Path memory = createOwnGroup(hierarchy("memory", own.get("memory")).resolve(name));
        Path cpu = createOwnGroup(hierarchy("cpu", own.get("cpu")).resolve(name));
        Optional<Path> pids = Optional.empty();
        if (own.containsKey("pids")) {
          pids = Optional.of(createOwnGroup(hierarchy("pids", own.get("pids")).resolve(name)));
        } else {
          LOG.log(Level.INFO, "no pids control group for this process; containers' pids unlimited");
        }
        return Optional.of(new CgroupLimits(false, memory, cpu, pids));
      }
      if (own.containsKey("")) {
        Path parent = ROOT.resolve(relative(own.get("")));
        Path base = createOwnGroup(parent.resolve(name));
        // A v2 group can hand controllers to its children only if it holds no process itself.
        Files.writeString(base.resolve("cgroup.subtree_control"), "+memory +cpu");
        Optional<Path> pids = Optional.empty();
        try {
          Files.writeString(base.resolve("cgroup.subtree_control"), "+pids");
          pids = Optional.of(base);
        } catch (IOException e) {
          LOG.log(Level.INFO, "no pids controller here ({0}); containers' pids unlimited", e);
        }
        return Optional.of(new CgroupLimits(true, base, base, pids));
      }
      LOG.log(Level.INFO, "no memory or cpu control group for this process; limits are JVM flags");
    } catch (IOException | RuntimeException e) {
      LOG.log(
          Level.INFO,
          "control groups are not available to Skiff here ({0}); memory and CPU limits are"
              + " enforced by JVM flags only",
          e.toString());
    }
    return Optional.empty();
  }

  /**
   * Controller name to group path from {@code /proc/self/cgroup} lines ({@code
   * id:controllers:path}); the v2 group is under the key {@code ""}.
   */
  static Map<String, String> ownGroups(List<String> lines) {
    Map<String, String> groups = new LinkedHashMap<>();
    for (String line : lines) {
      String[] parts = line.split(":", 3);
      if (parts.length < 3) {
        continue;
      }
      if (parts[1].isEmpty()) {
        groups.put("", parts[2]);
      }
      for (String controller : parts[1].split(",", -1)) {
        if (!controller.isEmpty()) {
          groups.put(controller, parts[2]);
        }
      }
    }
    return groups;
  }

  /** The directory of a v1 group: under the controller's mount, or its root if not visible. */
  private static Path hierarchy(String controller, String group) {
    Path mount = ROOT.resolve(controller);
    Path dir = mount.resolve(relative(group));
    return Files.isDirectory(dir) ? dir : mount; // a cgroup namespace shows our group as its root
  }

  private static String relative(String group) {
    return group.startsWith("/") ? group.substring(1) : group;
  }

  /**
   * Removes the groups that control planes killed before they could clean up (kill -9) left under
   * {@code parent}: {@code skiff-PID} of a process that is gone, with its containers' groups. A
   * group that still holds a process cannot be removed and stays.
   */
  private static void removeStale(Path parent) {
    try (Stream<Path> dirs = Files.list(parent)) {
      for (Path d : dirs.toList()) {
        String n = d.getFileName().toString();
        if (!n.startsWith("skiff-") || !Files.isDirectory(d)) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(n.substring("skiff-".length()));
        } catch (NumberFormatException e) {
          continue;
        }
        if (ProcessHandle.of(pid).isPresent()) {
          continue;
        }
        try (Stream<Path> groups = Files.list(d)) {
          groups.filter(Files::isDirectory).forEach(CgroupLimits::removeQuietly);
        }
        removeQuietly(d);
      }
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "could not look for stale groups in {0}: {1}", parent, e.toString());
    }
  }

  /** This backend's group {@code dir}, after removing the stale groups beside it. */
  private static Path createOwnGroup(Path dir) throws IOException {
    removeStale(dir.getParent());
    return createGroup(dir);
  }

  private static Path createGroup(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectory(dir);
    }
    return dir;
  }

  /**
   * Creates the groups of one container with its limits.
   *
   * @param containerId the container
   * @param memoryLimitMib its memory limit, if it has one
   * @param cpuLimit its CPU limit in cores, if it has one
   * @param pidsLimit the most processes and threads it may have, if limited (ignored where there is
   *     no pids controller)
   * @return the groups to join, or empty when it has no limit
   * @throws IOException if the groups cannot be made
   */
  Optional<Group> create(
      String containerId,
      OptionalLong memoryLimitMib,
      OptionalDouble cpuLimit,
      OptionalInt pidsLimit)
      throws IOException {
    if (pidsBase.isEmpty()) {
      pidsLimit = OptionalInt.empty();
    }
    if (memoryLimitMib.isEmpty() && cpuLimit.isEmpty() && pidsLimit.isEmpty()) {
      return Optional.empty();
    }
    List<Path> dirs = new ArrayList<>();
    Path memory = null;
    try {
      if (memoryLimitMib.isPresent()) {
        memory = createGroup(memoryBase.resolve(containerId));
        dirs.add(memory);
        String bytes = Long.toString(memoryLimitMib.getAsLong() * 1024 * 1024);
        if (unified) {
          Files.writeString(memory.resolve("memory.max"), bytes);
          writeIfPresent(memory.resolve("memory.swap.max"), "0");
        } else {
          Files.writeString(memory.resolve("memory.limit_in_bytes"), bytes);
          writeIfPresent(memory.resolve("memory.memsw.limit_in_bytes"), bytes);
        }
      }
      if (cpuLimit.isPresent()) {
        Path cpu = createGroup(cpuBase.resolve(containerId)); // the memory group on v2
        if (!dirs.contains(cpu)) {
          dirs.add(cpu);
        }
        long quota = Math.max(1000, Math.round(cpuLimit.getAsDouble() * CPU_PERIOD_US));
        if (unified) {
          Files.writeString(cpu.resolve("cpu.max"), quota + " " + CPU_PERIOD_US);
        } else {
          Files.writeString(cpu.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_US));
          Files.writeString(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quota));
        }
      }
      if (pidsLimit.isPresent()) {
        Path pids = createGroup(pidsBase.orElseThrow().resolve(containerId)); // memory's on v2
        if (!dirs.contains(pids)) {
          dirs.add(pids);
        }
        Files.writeString(pids.resolve("pids.max"), Integer.toString(pidsLimit.getAsInt()));
      }
    } catch (IOException | RuntimeException e) {
      dirs.forEach(CgroupLimits::removeQuietly);
      throw e;
    }
    return Optional.of(new Group(List.copyOf(dirs), Optional.ofNullable(memory), unified));
  }

  private static void writeIfPresent(Path file, String value) {
    if (Files.exists(file)) {
      try {
        Files.writeString(file, value);
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "could not write {0}: {1}", file, e.toString());
      }
    }
  }

  /** Removes this backend's own groups (they must be empty). */
  void close() {
    removeQuietly(memoryBase);
    if (!cpuBase.equals(memoryBase)) {
      removeQuietly(cpuBase);
    }
    pidsBase.filter(p -> !p.equals(memoryBase)).ifPresent(CgroupLimits::removeQuietly);
  }

  private static void removeQuietly(Path dir) {
    try {
      Files.deleteIfExists(dir); // rmdir: a cgroup directory's files are not real files
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "could not remove control group {0}: {1}", dir, e.toString());
    }
  }

  /**
   * The control groups of one container.
   *
   * @param dirs the group directories it joins
   * @param memory the one with its memory limit, if any
   * @param unified whether these are cgroup v2 groups
   */
  record Group(List<Path> dirs, Optional<Path> memory, boolean unified) {
    /**
     * The launch command for {@code command} that first moves itself into these groups, then {@code
     * exec}s the command, so that the command runs under the limits from its first instruction and
     * keeps its process id. The shell's own {@code PWD} is unset, so that the command's environment
     * is only what the backend gave it.
     */
    List<String> wrap(List<String> command) {
      List<String> wrapped = new ArrayList<>();
      wrapped.add("/bin/sh");
      wrapped.add("-c");
      wrapped.add(
          "for f; do if [ \"$f\" = -- ]; then break; fi; echo $$ > \"$f\" || exit 125; shift; done;"
              + " shift; unset PWD; exec \"$@\"");
      wrapped.add("skiff-cgroup");
      dirs.forEach(d -> wrapped.add(d.resolve("cgroup.procs").toString()));
      wrapped.add("--");
      wrapped.addAll(command);
      return wrapped;
    }

    /** Whether the kernel ended a process of this container for exceeding its memory limit. */
    boolean oomKilled() {
      if (memory.isEmpty()) {
        return false;
      }
      Path events = memory.get().resolve(unified ? "memory.events" : "memory.oom_control");
      try {
        for (String line : Files.readAllLines(events)) {
          if (line.startsWith("oom_kill ")) {
            return Long.parseLong(line.substring("oom_kill ".length()).trim()) > 0;
          }
        }
      } catch (IOException | NumberFormatException e) {
        LOG.log(Level.DEBUG, "could not read {0}: {1}", events, e.toString());
      }
      return false;
    }

    /** Removes the groups once the container's processes are gone. */
    void remove() {
      dirs.forEach(CgroupLimits::removeQuietly);
    }
  }
}
