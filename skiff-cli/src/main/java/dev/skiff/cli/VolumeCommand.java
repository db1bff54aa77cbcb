package dev.skiff.cli;

import dev.skiff.Volume;
import dev.skiff.VolumeEntry;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code skiff volume}: named volumes, through the SDK's {@link Volume} client API. Like {@code
 * app.run()}, it talks to the configured server, else to an embedded control plane on the data
 * directory of {@code $SKIFF_HOME}.
 */
@Command(
    name = "volume",
    description = {
      "Creates, lists and deletes volumes and works with their files from outside containers.",
      "Talks to the configured server (SKIFF_SERVER and SKIFF_TOKEN, else"
          + " $SKIFF_HOME/config.json when that server answers), else works on the volumes of the"
          + " local data directory ($SKIFF_HOME/data/volumes). Paths are relative to the volume's"
          + " root; '/x' and 'x' are the same file."
    },
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      VolumeCommand.Create.class,
      VolumeCommand.ListVolumes.class,
      VolumeCommand.Ls.class,
      VolumeCommand.Put.class,
      VolumeCommand.Get.class,
      VolumeCommand.Rm.class,
      VolumeCommand.Delete.class
    })
final class VolumeCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private static void println(CommandSpec spec, String line) {
    PrintWriter out = spec.commandLine().getOut();
    out.println(line);
    out.flush();
  }

  @Command(
      name = "create",
      description = "Creates the volume NAME; it fails if it exists.",
      footer = {"", "Example:", "  skiff volume create my-cache"})
  static final class Create implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "NAME",
        description = "The volume: 1-64 of [A-Za-z0-9_.-].")
    String name;

    @Override
    public void run() {
      Volume.fromName(name).create();
      println(spec, "created volume '" + name + "'");
    }
  }

  @Command(
      name = "list",
      description = "Lists the names of the volumes, sorted.",
      footer = {"", "Example:", "  skiff volume list"})
  static final class ListVolumes implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      Volume.list().forEach(n -> println(spec, n));
    }
  }

  @Command(
      name = "ls",
      description =
          "Lists what lies in directory PATH of the volume (default: its root): type,"
              + " size, last change and path.",
      footer = {
        "",
        "Examples:",
        "  skiff volume ls my-cache",
        "  skiff volume ls my-cache models -r"
      })
  static final class Ls implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The volume.")
    String name;

    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "PATH",
        description = "The directory (default: /).")
    String path = "/";

    @Option(
        names = {"-r", "--recursive"},
        description = "Include subdirectories, at any depth.")
    boolean recursive;

    @Override
    public void run() {
      Volume v = Volume.fromName(name);
      List<VolumeEntry> entries = recursive ? v.listFilesRecursively(path) : v.listFiles(path);
      Table table = new Table("TYPE", "SIZE", "MODIFIED", "PATH");
      for (VolumeEntry e : entries) {
        table.row(
            e.directory() ? "dir" : "file",
            e.directory() ? "-" : Long.toString(e.size()),
            e.modified().toString(),
            e.path() + (e.directory() ? "/" : ""));
      }
      table.print(spec.commandLine().getOut());
      spec.commandLine().getOut().flush();
    }
  }

  @Command(
      name = "put",
      description =
          "Uploads a local file to REMOTE, or a local directory's files under the"
              + " directory REMOTE. REMOTE defaults to the local file's or directory's name; a REMOTE"
              + " ending in '/' is a directory to put the file into. The volume is created if missing.",
      footer = {
        "",
        "Examples:",
        "  skiff volume put my-cache model.bin            # to /model.bin",
        "  skiff volume put my-cache model.bin models/    # to /models/model.bin",
        "  skiff volume put my-cache ./data /data         # a directory"
      })
  static final class Put implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The volume.")
    String name;

    @Parameters(index = "1", paramLabel = "LOCAL", description = "The local file or directory.")
    Path local;

    @Parameters(
        index = "2",
        arity = "0..1",
        paramLabel = "REMOTE",
        description = "Where to put it in the volume.")
    String remote;

    @Override
    public void run() {
      if (!Files.exists(local)) {
        throw new CliException("local path '" + local + "' does not exist", 2);
      }
      String base = local.toAbsolutePath().normalize().getFileName().toString();
      String target =
          remote == null
              ? base
              : remote.endsWith("/") && Files.isRegularFile(local) ? remote + base : remote;
      Volume.fromName(name).createIfMissing().upload(local, target);
      println(
          spec,
          "put " + local + " to " + name + ":" + (target.startsWith("/") ? target : "/" + target));
    }
  }

  @Command(
      name = "get",
      description =
          "Downloads the file REMOTE to LOCAL, or the directory REMOTE into the directory"
              + " LOCAL. LOCAL defaults to REMOTE's name in the current directory; '-' writes a file to"
              + " standard output.",
      footer = {
        "",
        "Examples:",
        "  skiff volume get my-cache /model.bin",
        "  skiff volume get my-cache /notes.txt -"
      })
  static final class Get implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The volume.")
    String name;

    @Parameters(
        index = "1",
        paramLabel = "REMOTE",
        description = "The file or directory in the volume.")
    String remote;

    @Parameters(
        index = "2",
        arity = "0..1",
        paramLabel = "LOCAL",
        description = "Where to write it ('-': standard output).")
    String local;

    @Override
    public void run() {
      Volume v = Volume.fromName(name);
      if ("-".equals(local)) {
        byte[] data = v.read(remote);
        System.out.write(data, 0, data.length);
        System.out.flush();
        return;
      }
      String stripped = remote.replaceAll("/+$", "");
      String base =
          stripped.contains("/") ? stripped.substring(stripped.lastIndexOf('/') + 1) : stripped;
      if (base.isEmpty()) {
        throw new CliException("give LOCAL when getting the volume's root", 2);
      }
      Path target = local == null ? Path.of(base) : Path.of(local);
      v.download(remote, target);
      println(spec, "got " + name + ":" + remote + " to " + target);
    }
  }

  @Command(
      name = "rm",
      description =
          "Removes a file or directory of the volume; a directory that is not empty"
              + " only with -r.",
      footer = {"", "Example:", "  skiff volume rm my-cache /models -r"})
  static final class Rm implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The volume.")
    String name;

    @Parameters(index = "1", paramLabel = "PATH", description = "The file or directory to remove.")
    String path;

    @Option(
        names = {"-r", "--recursive"},
        description = "Remove a directory with what it holds.")
    boolean recursive;

    @Override
    public void run() {
      Volume.fromName(name).remove(path, recursive);
      println(spec, "removed " + name + ":" + path);
    }
  }

  @Command(
      name = "delete",
      description = "Deletes the volume NAME with every file in it.",
      footer = {"", "Example:", "  skiff volume delete my-cache"})
  static final class Delete implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The volume to delete.")
    String name;

    @Override
    public void run() {
      Volume.delete(name);
      println(spec, "deleted volume '" + name + "'");
    }
  }
}
