import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** PGlite (PostgreSQL compiled to WebAssembly) served on a local TCP port, so `pg` talks to it as to any server. */
export interface EmbeddedPostgres {
  readonly connectionString: string;
  stop(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL. In memory unless `dataDir` is given. PGlite runs one query at a
 * time; every store operation is a single SQL function call, so one connection serves everyone.
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 4 });
  await server.start();
  const connectionString = `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    connectionString,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
