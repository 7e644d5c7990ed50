import type pg from 'pg';
import type { Logger } from 'pino';
import type { Keyring } from '@bulwark/crypto';
import { queries, type ClientRow } from '@bulwark/db';
import { mergeScopeSets, RoleIndex, sortAndNormalize } from '@bulwark/scopes';
import { MacKey } from './hawk-mac.js';

export const AUTH_CHANNEL = 'bulwark_auth';
export const LAST_USED_GRANULARITY_MS = 6 * 60 * 60 * 1000;

/** A client as authentication needs it, with its token opened and its scopes expanded lazily. */
export interface CachedClient {
  readonly clientId: string;
  readonly accessToken: string;
  /** The access token prepared as an HMAC key, for verifying request MACs. */
  readonly macKey: MacKey;
  readonly expires: Date;
  readonly disabled: boolean;
  /** As stored: unexpanded. */
  readonly scopes: readonly string[];
  /** When the client last authenticated, as far as this replica knows (ms). */
  lastDateUsed: number;
  /** Expanded through roles; recomputed when the role set changes. */
  expanded?: { rolesVersion: number; scopes: string[]; withAnonymous: string[] };
}

/**
 * Every client and the role index, held in memory so that authenticating a request
 * needs no database round trip. Changes arrive through NOTIFY on every replica; the
 * replica that made a change also invalidates directly so it reads its own writes.
 */
export class CredentialStore {
  private clients = new Map<string, CachedClient>();
  private roleIndex: RoleIndex = RoleIndex.build([]);
  private rolesVersion = 0;
  private anonymous: string[] = ['assume:anonymous'];
  private listener: pg.PoolClient | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly keyring: Keyring,
    private readonly logger: Logger,
    private readonly fullReloadMs = 5 * 60 * 1000,
  ) {}

  async start(): Promise<void> {
    await this.listen();
    await this.reloadAll();
    this.reloadTimer = setInterval(() => {
      this.reloadAll().catch((err: unknown) =>
        this.logger.error({ err }, 'credential reload failed'),
      );
    }, this.fullReloadMs);
    this.reloadTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      listener.removeAllListeners('notification');
      listener.release(true);
    }
    return Promise.resolve();
  }

  private async listen(): Promise<void> {
    const listener = await this.pool.connect();
    listener.on('notification', (msg) => {
      if (msg.channel !== AUTH_CHANNEL) return;
      this.onNotification(msg.payload ?? '');
    });
    listener.on('error', (err) => {
      // After stop() (or a reconnect) this connection is no longer ours to release.
      if (this.listener !== listener) return;
      // The connection is gone; notifications could have been missed, so start over.
      this.logger.warn({ err }, 'auth notification listener lost; reconnecting');
      listener.release(true);
      this.listener = undefined;
      if (!this.stopped) setTimeout(() => void this.reconnect(), 1000).unref();
    });
    await listener.query(`LISTEN ${AUTH_CHANNEL}`);
    this.listener = listener;
  }

  private async reconnect(): Promise<void> {
    try {
      await this.listen();
      await this.reloadAll();
    } catch (err) {
      this.logger.error({ err }, 'auth notification listener could not reconnect');
      if (!this.stopped) setTimeout(() => void this.reconnect(), 5000).unref();
    }
  }

  private onNotification(payload: string): void {
    const reload =
      payload === 'roles' ? this.reloadRoles() : this.reloadClient(payload.replace(/^client:/, ''));
    reload.catch((err: unknown) => this.logger.error({ err }, 'credential reload failed'));
  }

  async reloadAll(): Promise<void> {
    const [clientRows] = await Promise.all([
      queries.clients.allClients(this.pool),
      this.reloadRoles(),
    ]);
    const next = new Map<string, CachedClient>();
    for (const row of clientRows) next.set(row.clientId, this.fromRow(row));
    this.clients = next;
  }

  async reloadRoles(): Promise<void> {
    const rows = await queries.roles.allRoles(this.pool);
    this.roleIndex = RoleIndex.build(rows.map((r) => ({ roleId: r.roleId, scopes: r.scopes })));
    this.rolesVersion += 1;
    this.anonymous = this.roleIndex.expand(['assume:anonymous']);
  }

  async reloadClient(clientId: string): Promise<CachedClient | undefined> {
    const row = await queries.clients.getClient(this.pool, clientId);
    if (!row) {
      this.clients.delete(clientId);
      return undefined;
    }
    const cached = this.fromRow(row);
    this.clients.set(clientId, cached);
    return cached;
  }

  private fromRow(row: ClientRow): CachedClient {
    const accessToken = this.keyring.openString(row.sealedAccessToken, `client:${row.clientId}`);
    return {
      clientId: row.clientId,
      accessToken,
      macKey: new MacKey(accessToken),
      expires: row.expires,
      disabled: row.disabled,
      scopes: row.scopes,
      lastDateUsed: row.lastDateUsed.getTime(),
    };
  }

  /**
   * Records that the client authenticated. The database is written at most once per
   * LAST_USED_GRANULARITY_MS per client and replica, so authentication stays read-only
   * in the common case (Taskcluster updates lastDateUsed every 6 hours likewise).
   */
  noteUse(client: CachedClient, now: number): void {
    if (now - client.lastDateUsed < LAST_USED_GRANULARITY_MS) return;
    client.lastDateUsed = now;
    queries.clients
      .touchClientLastUsed(this.pool, client.clientId, new Date(now), LAST_USED_GRANULARITY_MS)
      .catch((err: unknown) => this.logger.warn({ err }, 'could not record client use'));
  }

  /**
   * The client from memory; on a miss, one database read, in case the NOTIFY of
   * its creation has not arrived yet.
   */
  getClient(clientId: string): CachedClient | Promise<CachedClient | undefined> {
    return this.clients.get(clientId) ?? this.reloadClient(clientId);
  }

  /** The client's scopes expanded through roles, without the anonymous role. */
  expandedClientScopes(client: CachedClient): string[] {
    return this.expansionOf(client).scopes;
  }

  /** The client's effective scopes: expanded, plus the anonymous role's. */
  effectiveClientScopes(client: CachedClient): string[] {
    return this.expansionOf(client).withAnonymous;
  }

  private expansionOf(client: CachedClient): NonNullable<CachedClient['expanded']> {
    if (client.expanded?.rolesVersion !== this.rolesVersion) {
      const scopes = this.roleIndex.expand(client.scopes);
      client.expanded = {
        rolesVersion: this.rolesVersion,
        scopes,
        withAnonymous: mergeScopeSets(scopes, this.anonymous),
      };
    }
    return client.expanded;
  }

  /** Expands any scope set through the current roles (result sorted and normalized). */
  expand(scopes: readonly string[]): string[] {
    return this.roleIndex.expand(sortAndNormalize(scopes));
  }

  /** Expansion with the anonymous role merged in, as every caller gets. */
  expandWithAnonymous(scopes: readonly string[]): string[] {
    return mergeScopeSets(this.expand(scopes), this.anonymous);
  }

  get anonymousScopes(): readonly string[] {
    return this.anonymous;
  }

  get currentRoleIndex(): RoleIndex {
    return this.roleIndex;
  }
}
