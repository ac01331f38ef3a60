/**
 * keepalived's `vrrp_sync_group`: member instances move together (vrrp_sync.c). One member becoming MASTER
 * takes the others to MASTER, but only when every member wants MASTER (`vrrp_sync_can_goto_master`, which
 * prefers BACKUP to thrashing); one leaving MASTER for BACKUP takes the others to BACKUP; a fault in any
 * member faults them all until every member is clear. Group notify scripts get `GROUP <name> <state>
 * <priority>`. It coordinates routers only; it must never decide anything about a single instance.
 */
import { describe, LvsError } from '@lvskit/base';
import type { VrrpState } from './machine.js';
import { type NotifyScripts, VrrpRouter } from './router.js';

/** Options of {@link VrrpSyncGroup}. */
export interface VrrpSyncGroupOptions {
  /** Group notify scripts (`notify_master`, … `notify`). */
  readonly notify?: NotifyScripts;
}

/** A keepalived `vrrp_sync_group { group { … } }`. Create it before starting the member routers. */
export class VrrpSyncGroup {
  /** Group name. */
  readonly name: string;
  /** Members, in `group { }` order. */
  readonly members: readonly VrrpRouter[];
  #state: VrrpState = 'INIT';
  readonly #faulted = new Set<VrrpRouter>();
  readonly #opts: VrrpSyncGroupOptions;
  #syncing = false;

  /**
   * @param name - `vrrp_sync_group NAME`
   * @param members - the member routers (at least two, not yet started, each in no other group)
   * @param opts - notify scripts
   */
  constructor(name: string, members: readonly VrrpRouter[], opts: VrrpSyncGroupOptions = {}) {
    if (typeof name !== 'string' || name === '') {
      throw new LvsError(
        'VRRP_INVALID_CONFIG',
        `vrrp_sync_group: the name must be a non-empty string, not ${describe(name)}`,
      );
    }
    const list: unknown = members;
    if (!Array.isArray(list) || list.some((m) => !(m instanceof VrrpRouter))) {
      throw new LvsError('VRRP_INVALID_CONFIG', `vrrp_sync_group ${name}: members must be a list of VrrpRouter`);
    }
    if (new Set(members).size !== members.length) {
      throw new LvsError('VRRP_INVALID_CONFIG', `vrrp_sync_group ${name}: an instance is listed twice`);
    }
    if (typeof opts !== 'object' || opts === null) {
      throw new LvsError(
        'INVALID_ARGUMENT',
        `vrrp_sync_group ${name}: options must be an object, not ${describe(opts)}`,
      );
    }
    if (members.length < 2) {
      throw new LvsError('VRRP_INVALID_CONFIG', `vrrp_sync_group ${name}: a group needs at least two instances`);
    }
    for (const m of members) {
      if (m.syncGroup)
        throw new LvsError('VRRP_INVALID_CONFIG', `vrrp_sync_group ${name}: an instance is already in a group`);
    }
    this.name = name;
    this.members = members;
    this.#opts = opts;
    for (const m of members) {
      m.syncGroup = this;
      m.on('stateChanged', (e) => this.#onTransition(m, e.to, e.reason));
    }
  }

  /**
   * Starts every member, in `group { }` order; they then move together. A member that fails to start
   * stops the ones already started, and the error is rethrown.
   */
  async start(): Promise<void> {
    const started: VrrpRouter[] = [];
    try {
      for (const m of this.members) {
        await m.start();
        started.push(m);
      }
    } catch (err) {
      for (const m of started.reverse()) await m.stop();
      throw err;
    }
  }

  /** Stops every member (a master member sends priority 0 and releases its VIPs); the group rests in INIT. */
  async stop(): Promise<void> {
    // Every member first leaves MASTER synchronously, so no member is ever left MASTER alone.
    await Promise.all(this.members.map((m) => m.stop()));
  }

  /** Group state (keepalived `GROUP_STATE`): INIT before start and after stop. */
  get state(): VrrpState {
    return this.#state;
  }

  /** Wires the sync gate once a member's machine exists. @internal */
  #gate(m: VrrpRouter): void {
    if (m.machine && !m.machine.syncGate) {
      // keepalived vrrp_sync_can_goto_master: group already MASTER, or every other member wants MASTER.
      m.machine.syncGate = () =>
        this.#state === 'MASTER' || this.members.every((o) => o === m || o.machine?.wantsMaster === true);
    }
  }

  /** A member's own fault changed (tracking). @internal */
  memberFault(member: VrrpRouter, fault: boolean): void {
    if (fault) this.#faulted.add(member);
    else this.#faulted.delete(member);
    const any = this.#faulted.size > 0;
    for (const m of this.members) m.applyFault(any);
  }

  #onTransition(member: VrrpRouter, to: VrrpState, reason: string): void {
    for (const m of this.members) this.#gate(m);
    if (this.#syncing || reason === 'sync') return;
    this.#syncing = true;
    try {
      if (to === 'MASTER' && this.#state !== 'MASTER') {
        for (const m of this.members) if (m !== member) m.applySync('sync-master');
        this.#setState('MASTER', member);
      } else if (to === 'BACKUP' && this.#state !== 'BACKUP') {
        for (const m of this.members) if (m !== member) m.applySync('sync-backup');
        this.#setState('BACKUP', member);
      } else if (to === 'FAULT' && this.#state !== 'FAULT') {
        this.#setState('FAULT', member);
      } else if (to === 'INIT' && this.members.every((m) => m.state === 'INIT')) {
        this.#setState('INIT', member);
      }
    } finally {
      this.#syncing = false;
    }
  }

  #setState(to: VrrpState, member: VrrpRouter): void {
    this.#state = to;
    const n = this.#opts.notify;
    if (!n) return;
    const name = to === 'INIT' ? 'STOP' : to;
    const specific = to === 'MASTER' ? n.master : to === 'BACKUP' ? n.backup : to === 'FAULT' ? n.fault : n.stop;
    if (specific) member.execNotify(specific, []);
    if (n.any) member.execNotify(n.any, ['GROUP', this.name, name, String(member.machine?.effectivePriority ?? 0)]);
  }
}
