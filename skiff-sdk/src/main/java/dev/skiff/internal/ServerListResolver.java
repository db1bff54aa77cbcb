package dev.skiff.internal;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Resolves a fixed list of {@code host:port} replicas of one server into one address group each, in
 * the order given, for gRPC's {@code pick_first} policy: it connects to the first address that
 * accepts, and when that connection breaks it tries the list again from the start. Each group
 * carries its own authority, so that TLS checks each replica's host name against its own
 * certificate. Host names are looked up again on every refresh (gRPC refreshes after a lost
 * connection).
 */
final class ServerListResolver extends NameResolver {
  static final String SCHEME = "skiff-replicas";

  private final List<String> addresses;
  private final Executor executor;
  private Listener2 listener;

  private ServerListResolver(List<String> addresses, Executor executor) {
    this.addresses = addresses;
    this.executor = executor;
  }

  /** A factory that resolves exactly these addresses, whatever target the channel names. */
  static NameResolver.Factory factory(List<String> addresses) {
    return new NameResolver.Factory() {
      @Override
      public NameResolver newNameResolver(URI targetUri, Args args) {
        Executor offload = args.getOffloadExecutor();
        return new ServerListResolver(addresses, offload != null ? offload : Runnable::run);
      }

      @Override
      public String getDefaultScheme() {
        return SCHEME;
      }
    };
  }

  @Override
  public String getServiceAuthority() {
    return addresses.get(0);
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    resolve();
  }

  @Override
  public void refresh() {
    resolve();
  }

  private void resolve() {
    Listener2 l = listener;
    executor.execute(
        () -> {
          List<EquivalentAddressGroup> groups = new ArrayList<>();
          List<String> unresolved = new ArrayList<>();
          for (String a : addresses) {
            int colon = a.lastIndexOf(':');
            String host = a.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
              host = host.substring(1, host.length() - 1);
            }
            InetSocketAddress s =
                new InetSocketAddress(host, Integer.parseInt(a.substring(colon + 1)));
            if (s.isUnresolved()) {
              unresolved.add(a);
              continue;
            }
            groups.add(
                new EquivalentAddressGroup(
                    s,
                    Attributes.newBuilder()
                        .set(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE, a)
                        .build()));
          }
          if (groups.isEmpty()) {
            l.onError(
                Status.UNAVAILABLE.withDescription(
                    "no address of " + String.join(", ", unresolved) + " could be resolved"));
            return;
          }
          l.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
        });
  }

  @Override
  public void shutdown() {}
}
