/**
 * The gRPC edge of the control plane: the services that clients and containers call, each turning
 * requests into calls on the subsystems and their failures into statuses whose descriptions say
 * what was wrong. Internal to the server.
 *
 * <p><b>Owns:</b> the services on the wire and what only they do: checking who may act on what (a
 * container on its own app and the apps it may call), checking every number a caller sends against
 * {@code Bounds}, and adapting streams ({@link dev.skiff.server.api.MapStream}, {@link
 * dev.skiff.server.api.GenerateStream}, the container socket). The one {@code ClientApi} service,
 * {@link dev.skiff.server.api.ClientService}, hands each RPC to the class of its area ({@code
 * AppsApi}, {@code CallsApi}, {@code LogsApi}, {@code ContainersApi}, {@code DeploymentsApi}),
 * which share {@code Access}. It owns no state of its own beyond the streams in flight.
 *
 * <p><b>May use:</b> {@code auth}, {@code common}, {@code runtime}, {@code calls}, {@code deploy},
 * {@code schedule}, {@code web}, {@code logs}, {@code files}, {@code secrets}, {@code image},
 * {@code scaling} (the warm pool's containers), {@code activity} (recent calls) and the store's
 * records; nothing uses it but the composition root ({@code ControlPlane}).
 */
package dev.skiff.server.api;
