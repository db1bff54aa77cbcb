package dev.skiff.cli;

import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.CreateWebTokenRequest;
import dev.skiff.proto.CreateWebTokenResponse;
import dev.skiff.proto.ListWebTokensRequest;
import dev.skiff.proto.RevokeWebTokenRequest;
import dev.skiff.proto.TokenApiGrpc;
import dev.skiff.proto.WebTokenInfo;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code skiff token}: the web tokens of the configured server, which web endpoints that require
 * auth accept in the {@code Skiff-Key} and {@code Skiff-Secret} headers.
 */
@Command(
    name = "token",
    description = {
      "Creates, lists and revokes the configured server's web tokens: the credentials that web"
          + " endpoints with requiresAuth() accept, sent in the Skiff-Key and Skiff-Secret"
          + " headers. A web token can call web endpoints and nothing else; the server keeps only"
          + " a hash of its secret."
    },
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      TokenCommand.Create.class,
      TokenCommand.ListTokens.class,
      TokenCommand.Revoke.class
    })
final class TokenCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs one call of the token API on the configured server, with Skiff's errors. */
  private static <T> T call(Function<TokenApiGrpc.TokenApiBlockingStub, T> body) {
    try (SkiffClient client = ServerConnection.connect()) {
      try {
        return body.apply(TokenApiGrpc.newBlockingStub(client.channel()));
      } catch (RuntimeException e) {
        throw client.translate(e);
      }
    }
  }

  @Command(
      name = "create",
      description = {
        "Creates a web token and prints its key id and secret as the two headers to send. The"
            + " secret is shown only now."
      },
      footer = {
        "",
        "Example:",
        "  skiff token create --name ci",
        "  curl --cacert ~/.skiff/data/tls/cert.pem -H 'Skiff-Key: wk-...' -H 'Skiff-Secret: ws-...'"
            + " https://127.0.0.1:7734/hello/greet"
      })
  static final class Create implements Runnable {
    @Spec CommandSpec spec;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        description = "A label for people, like ci or partner-x: 1-64 of [A-Za-z0-9_.-].")
    String name = "";

    @Override
    public void run() {
      CreateWebTokenResponse created =
          call(api -> api.createWebToken(CreateWebTokenRequest.newBuilder().setName(name).build()));
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          "created web token "
              + created.getToken().getKeyId()
              + (name.isEmpty() ? "" : " ('" + name + "')")
              + "; send both headers, the secret is not shown again:");
      out.println("Skiff-Key: " + created.getToken().getKeyId());
      out.println("Skiff-Secret: " + created.getSecret());
      out.flush();
    }
  }

  @Command(name = "list", description = "Lists the web tokens: key id, name and creation time.")
  static final class ListTokens implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      Table table = new Table("KEY ID", "NAME", "CREATED");
      for (WebTokenInfo t :
          call(api -> api.listWebTokens(ListWebTokensRequest.getDefaultInstance()))
              .getTokensList()) {
        table.row(
            t.getKeyId(),
            t.getName().isEmpty() ? "-" : t.getName(),
            Instant.ofEpochMilli(t.getCreatedMs()).toString());
      }
      PrintWriter out = spec.commandLine().getOut();
      table.print(out);
      out.flush();
    }
  }

  @Command(
      name = "revoke",
      description = "Revokes the web token KEY_ID: the next request that presents it is refused.")
  static final class Revoke implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KEY_ID", description = "The token's key id (wk-...).")
    String keyId;

    @Override
    public void run() {
      call(api -> api.revokeWebToken(RevokeWebTokenRequest.newBuilder().setKeyId(keyId).build()));
      spec.commandLine().getOut().println("revoked web token " + keyId);
      spec.commandLine().getOut().flush();
    }
  }
}
