import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** PGlite (PostgreSQL compiled to WebAssembly) served on a local TCP port, so `pg` talks to it as to any server. */
export interface EmbeddedPostgres {
  readonly connectionString: string;
  /** A gzip tarball of the data directory, loadable as a `seed`. */
  dump(): Promise<Blob>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Keep the data in this directory; in memory when absent. */
  readonly dataDir?: string;
  readonly port?: number;
  /** Start from this dump instead of an empty cluster (skips initdb: several times faster). */
  readonly seed?: Blob;
}

/**
 * Starts an embedded PostgreSQL. PGlite runs one query at a time; every store operation is a
 * single SQL function call, so one connection serves everyone.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir, options.seed ? { loadDataDir: options.seed } : {});
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 4 });
  await server.start();
  return {
    connectionString: `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    dump: () => db.dumpDataDir('gzip') as Promise<Blob>,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
