package dev.skiff.server.store;

/**
 * A store in memory: what an embedded control plane keeps, for its lifetime only. Every write is
 * done when it returns (its future is complete already), so a control plane that waits for
 * durability does not wait at all.
 *
 * <p>{@link #close()} forgets everything; writes after it are dropped rather than failed, since
 * nothing outlives the control plane anyway. Thread-safe: each repository has its own lock.
 */
public final class InMemoryStore implements Store {
  private final InMemoryCalls calls = new InMemoryCalls();
  private final InMemoryDeployments deployments = new InMemoryDeployments();
  private final InMemoryRuns runs = new InMemoryRuns();
  private final InMemoryLogs logs = new InMemoryLogs();
  private final InMemoryTokens tokens = new InMemoryTokens();

  /** An empty store. */
  public InMemoryStore() {}

  @Override
  public CallStore calls() {
    return calls;
  }

  @Override
  public DeploymentStore deployments() {
    return deployments;
  }

  @Override
  public RunStore runs() {
    return runs;
  }

  @Override
  public LogStore logs() {
    return logs;
  }

  @Override
  public TokenStore tokens() {
    return tokens;
  }

  @Override
  public void close() {
    calls.close();
    deployments.close();
    runs.close();
    logs.close();
    tokens.close();
  }
}
