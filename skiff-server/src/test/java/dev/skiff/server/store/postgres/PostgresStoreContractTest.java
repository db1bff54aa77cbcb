package dev.skiff.server.store.postgres;

import dev.skiff.server.store.Store;
import dev.skiff.server.store.StoreContract;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtendWith;

/** The store contract on a real PostgreSQL server, an empty database for each test. */
@ExtendWith(LocalPostgres.Extension.class)
class PostgresStoreContractTest extends StoreContract {
  private final LocalPostgres postgres;

  PostgresStoreContractTest(LocalPostgres postgres) {
    this.postgres = postgres;
  }

  @Override
  protected Store open() {
    return PostgresStore.open(
        postgres.newDatabase(),
        Optional.of(LocalPostgres.USER),
        Optional.of(LocalPostgres.PASSWORD));
  }
}
