package dev.skiff.server.store.sqlite;

import dev.skiff.server.store.Store;
import dev.skiff.server.store.StoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on a real SQLite file. */
class SqliteStoreContractTest extends StoreContract {
  @TempDir Path dir;

  @Override
  protected Store open() {
    return SqliteStore.open(dir.resolve("skiff.db"));
  }
}
