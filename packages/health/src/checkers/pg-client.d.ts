/**
 * Type for importing pg's Client class directly (`pg/lib/client.js`, exported by pg's `./lib/*` map).
 * We avoid pg's index because it builds a Pool at load time through `require('pg-pool')`, which resolves
 * to pg-pool's ESM build when a loader runs with the `import` condition (vitest here) and then fails.
 */
declare module 'pg/lib/client.js' {
  import type { Client } from 'pg';

  const ClientCtor: typeof Client;
  export default ClientCtor;
}
