/**
 * The typed chained builder: declare services and real servers, plug in ports, `build()` a frozen
 * compiled configuration or `start()` a director. Generics accumulate the declared service names (Hono
 * style), so a real server for an undeclared service, a duplicate service name, a scheduler flag the
 * scheduler does not take, or one-packet scheduling on TCP are compile errors; the same rules are
 * checked again at run time for untyped callers. Owns declaration only; must never touch the engine
 * (the director does) and must never change after `start()`.
 */
import { describe, LvsError } from '@lvskit/base';
import type { SchedulerFlag, SchedulerName } from '@lvskit/schedulers';
import { type CompiledIpvsConfig, compileConfig, Ipvs, type IpvsPorts } from './director.js';
import type {
  EngineSwitches,
  PacketClassifier,
  PersistenceConfig,
  RealServerConfig,
  ServiceConfig,
  TimeoutConfig,
} from './model.js';

/** Options every kind of virtual service takes in the builder (address and fwmark services alike). */
export interface ServiceCommonInput<N extends SchedulerName> {
  /** Scheduler (default `wlc`). */
  readonly scheduler?: N;
  /** Flags scheduler `N` accepts. */
  readonly flags?: readonly SchedulerFlag<N>[];
  /** Persistence. */
  readonly persistence?: PersistenceConfig | true;
  /** Real servers, in add order. */
  readonly realServers?: readonly RealServerConfig[];
  /** Sorry server. */
  readonly sorryServer?: RealServerConfig;
}

/** A port-0 ("every port") service must be persistent (ipvsadm: "Zero port specified for non-persistent service"). */
export type PortRule<P extends number> = P extends 0
  ? { readonly port: P; readonly persistence: PersistenceConfig | true }
  : { readonly port: P };

/**
 * A service as the builder takes it: UDP may use one-packet scheduling, TCP and SCTP may not; firewall
 * mark services may.
 */
export type ServiceInput<N extends SchedulerName = SchedulerName, P extends number = number> =
  | (ServiceCommonInput<N> &
      PortRule<P> & {
        readonly protocol: 'udp';
        readonly address: string;
        readonly onePacket?: boolean;
      })
  | (ServiceCommonInput<N> &
      PortRule<P> & {
        readonly protocol: 'tcp' | 'sctp';
        readonly address: string;
        readonly onePacket?: false;
      })
  | (ServiceCommonInput<N> & { readonly fwmark: number; readonly family?: 4 | 6; readonly onePacket?: boolean });

/**
 * Declares a director. `Names` is the union of service names declared so far.
 * @example
 * ```ts
 * const d = await ipvs()
 *   .service('web', { protocol: 'tcp', address: '198.18.0.10', port: 80, scheduler: 'wlc' })
 *   .realServer('web', { address: '198.18.1.1', method: 'masq', weight: 2 })
 *   .start({ packets: myPort });
 * ```
 */
export class IpvsBuilder<Names extends string = never> {
  private readonly services: {
    name: string;
    config: ServiceConfig;
    extra: RealServerConfig[];
    sorry?: RealServerConfig;
  }[] = [];
  private timeoutConfig: TimeoutConfig | undefined;
  private capacity: number | undefined;
  private switchConfig: EngineSwitches | undefined;
  private classifierFn: PacketClassifier | undefined;
  private local: string[] | undefined;
  private started = false;

  private guard(): void {
    if (this.started)
      throw new LvsError(
        'CORE_BUILDER_STARTED',
        'this builder has started a director; change the director, not the builder',
      );
  }

  /**
   * Declares a virtual service.
   * @param name - a new name (re-using one is a compile error)
   * @param config - protocol + address + port, or fwmark; scheduler, flags, persistence, real servers
   */
  service<const Name extends string, const N extends SchedulerName = 'wlc', const P extends number = number>(
    name: Name extends Names ? never : Name,
    config: ServiceInput<N, P>,
  ): IpvsBuilder<Names | Name> {
    this.guard();
    this.services.push({ name, config: config as ServiceConfig, extra: [] });
    return this as unknown as IpvsBuilder<Names | Name>;
  }

  /** Adds a real server to a declared service (after those in its config: it becomes the list head). */
  realServer(service: Names, config: RealServerConfig): this {
    this.guard();
    const s = this.services.find((x) => x.name === service);
    if (!s)
      throw new LvsError(
        'CORE_UNKNOWN_SERVICE',
        `no service named ${typeof service === 'string' ? service : describe(service)} was declared`,
      );
    s.extra.push(config);
    return this;
  }

  /** Sets a declared service's sorry server. */
  sorryServer(service: Names, config: RealServerConfig): this {
    this.guard();
    const s = this.services.find((x) => x.name === service);
    if (!s)
      throw new LvsError(
        'CORE_UNKNOWN_SERVICE',
        `no service named ${typeof service === 'string' ? service : describe(service)} was declared`,
      );
    s.sorry = config;
    return this;
  }

  /** Connection timeouts (`ipvsadm --set`). */
  timeouts(t: TimeoutConfig): this {
    this.guard();
    this.timeoutConfig = { ...this.timeoutConfig, ...t };
    return this;
  }

  /** Connection table capacity. */
  maxConnections(n: number): this {
    this.guard();
    this.capacity = n;
    return this;
  }

  /** Kernel switches (expire_nodest_conn, conn_reuse_mode, …). */
  switches(s: EngineSwitches): this {
    this.guard();
    this.switchConfig = { ...this.switchConfig, ...s };
    return this;
  }

  /** The director's own addresses (real servers on them are served locally, ipvsadm "Local"). */
  localAddresses(addresses: readonly string[]): this {
    this.guard();
    this.local = [...addresses];
    return this;
  }

  /** The firewall-mark classifier for fwmark services. */
  classifier(fn: PacketClassifier): this {
    this.guard();
    this.classifierFn = fn;
    return this;
  }

  /**
   * Validates everything (all issues at once) and returns the frozen compiled configuration.
   * @throws LvsError `CORE_INVALID_CONFIG`
   */
  build(): CompiledIpvsConfig<Names> {
    return compileConfig<Names>({
      services: this.services.map((s) => ({
        name: s.name,
        config: merged(s.config, s.extra, s.sorry),
      })),
      ...(this.timeoutConfig ? { timeouts: this.timeoutConfig } : {}),
      ...(this.capacity !== undefined ? { maxConnections: this.capacity } : {}),
      ...(this.switchConfig ? { switches: this.switchConfig } : {}),
      ...(this.classifierFn ? { classifier: this.classifierFn } : {}),
      ...(this.local ? { localAddresses: this.local } : {}),
    });
  }

  /**
   * Builds and starts a director; the builder is frozen from then on.
   * @throws LvsError `CORE_INVALID_CONFIG`, `CORE_BUILDER_STARTED`
   */
  async start(ports: IpvsPorts = {}): Promise<Ipvs<Names>> {
    this.guard();
    const d = new Ipvs<Names>(this.build(), ports);
    this.started = true;
    await d.start();
    return d;
  }
}

/**
 * A declared service with the real servers and sorry server given by separate builder calls. A config that is
 * not an object, or whose `realServers` is not an array, is passed on as it is for `compileConfig` to report
 * (never a raw `TypeError` here).
 */
function merged(
  config: ServiceConfig,
  extra: readonly RealServerConfig[],
  sorry: RealServerConfig | undefined,
): ServiceConfig {
  if (typeof config !== 'object' || config === null) return config;
  if (extra.length === 0 && sorry === undefined) return config;
  const listed: unknown = config.realServers;
  if (listed !== undefined && !Array.isArray(listed)) return config;
  return {
    ...config,
    realServers: [...((listed as readonly RealServerConfig[] | undefined) ?? []), ...extra],
    ...(sorry ? { sorryServer: sorry } : {}),
  } as ServiceConfig;
}

/** Starts declaring a director. */
export function ipvs(): IpvsBuilder<never> {
  return new IpvsBuilder();
}
