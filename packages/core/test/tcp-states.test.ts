/**
 * Every cell of the IPVS TCP state table, driven through the packet path. The expected tables below are
 * copied from the specification (reference/lvs-semantics.md §2.3, itself read from
 * net/netfilter/ipvs/ip_vs_proto_tcp.c `tcp_states` / `tcp_states_dos`), not from our implementation:
 * a connection is put in each state, one packet with one flag is sent in one direction, and the state
 * the engine lands in is compared with the cell.
 */
import { describe, expect, it } from 'vitest';
import { fillPacketSummary } from '../src/packet.js';
import { TCP_STATE_NAMES } from '../src/tcp-states.js';
import { rig } from './helpers.js';

// §2.3 normal table, verbatim (rows: direction/flag; columns: current state).
const NORMAL = `
| IN syn | SR | ES | ES | SR | SR | SR | SR | SR | SR | SR | SR |
| IN fin | CL | CW | SS | TW | TW | TW | CL | CW | LA | LI | TW |
| IN ack | ES | ES | SS | ES | FW | TW | CL | CW | CL | LI | ES |
| IN rst | CL | CL | CL | SR | CL | CL | CL | CL | LA | LI | SR |
| OUT syn | SS | ES | SS | SR | SS | SS | SS | SS | SS | LI | SR |
| OUT fin | TW | FW | SS | TW | FW | TW | CL | TW | LA | LI | TW |
| OUT ack | ES | ES | SS | ES | FW | TW | CL | CW | LA | ES | ES |
| OUT rst | CL | CL | SS | CL | CL | TW | CL | CL | CL | CL | CL |
| IO syn | SR | ES | ES | SR | SR | SR | SR | SR | SR | SR | SR |
| IO fin | CL | FW | SS | TW | FW | TW | CL | CW | LA | LI | TW |
| IO ack | ES | ES | SS | ES | FW | TW | CL | CW | CL | LI | ES |
| IO rst | CL | CL | CL | SR | CL | CL | CL | CL | LA | LI | CL |`;

// §2.3: tcp_states_dos differs only in these cells (row, current state: normal→dos).
const DOS_DIFFS: [string, string, string][] = [
  ['IN syn', 'SA', 'SA'],
  ['IN fin', 'SA', 'SA'],
  ['IN ack', 'SR', 'SR'],
  ['IN ack', 'SA', 'SA'],
  ['IN rst', 'SA', 'CL'],
  ['OUT syn', 'SR', 'SA'],
  ['OUT syn', 'SA', 'SA'],
  ...(['NONE', 'FW', 'TW', 'CL', 'CW', 'LA', 'LI', 'SA'] as const).map(
    (c) => ['IO syn', c === 'NONE' ? 'NO' : c, 'SA'] as [string, string, string],
  ),
];

const COLS = ['NO', 'ES', 'SS', 'SR', 'FW', 'TW', 'CL', 'CW', 'LA', 'LI', 'SA'];
const ABBR: Record<string, string> = {
  NO: 'NONE',
  ES: 'ESTABLISHED',
  SS: 'SYN_SENT',
  SR: 'SYN_RECV',
  FW: 'FIN_WAIT',
  TW: 'TIME_WAIT',
  CL: 'CLOSE',
  CW: 'CLOSE_WAIT',
  LA: 'LAST_ACK',
  LI: 'LISTEN',
  SA: 'SYNACK',
};

function parse(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.trim().split('\n')) {
    const cells = line
      .split('|')
      .map((c) => c.trim())
      .filter(Boolean);
    m.set(cells[0] ?? '', cells.slice(1));
  }
  return m;
}

const FLAG: Record<string, string> = { syn: 'S', fin: 'F', ack: 'A', rst: 'R' };

async function runTable(table: Map<string, string[]>, secureTcp: boolean) {
  const { director, port, clock } = await rig({
    services: [
      {
        name: 'nat',
        config: {
          protocol: 'tcp',
          address: '198.18.0.1',
          port: 80,
          scheduler: 'rr',
          realServers: [{ address: '198.18.1.1', port: 8080, method: 'masq' }],
        },
      },
      {
        name: 'dr',
        config: {
          protocol: 'tcp',
          address: '198.18.0.2',
          port: 80,
          scheduler: 'rr',
          realServers: [{ address: '198.18.1.2', method: 'route' }],
        },
      },
    ],
    maxConnections: 4096,
    switches: { connReuseMode: 0, secureTcp },
  });
  const t = director.engine.table;
  const results: string[] = [];
  let cport = 10000;
  for (const [row, expected] of table) {
    const [dir, flag] = row.split(' ') as [string, string];
    COLS.forEach((col, k) => {
      cport++;
      const vip = dir === 'IO' ? '198.18.0.2' : '198.18.0.1';
      port.send({ source: '198.19.0.9', sourcePort: cport, destination: vip, destinationPort: 80, flags: 'S' });
      const idx = director.engine.process(
        fillPacketSummary({
          source: '198.19.0.9',
          sourcePort: cport,
          destination: vip,
          destinationPort: 80,
          flags: 'A',
        }),
        clock.now(),
      ).connection;
      expect(idx).toBeGreaterThanOrEqual(0);
      t.state[idx] = k; // put the connection in the column's state
      if (dir === 'OUT')
        port.send({
          source: '198.18.1.1',
          sourcePort: 8080,
          destination: '198.19.0.9',
          destinationPort: cport,
          flags: FLAG[flag],
          direction: 'out',
        });
      else
        port.send({
          source: '198.19.0.9',
          sourcePort: cport,
          destination: vip,
          destinationPort: 80,
          flags: FLAG[flag],
        });
      const got = TCP_STATE_NAMES[t.state[idx] ?? 0];
      results.push(
        `${row} ${col}: ${got === ABBR[expected[k] ?? ''] ? 'ok' : `got ${got}, want ${ABBR[expected[k] ?? '']}`}`,
      );
    });
  }
  return results;
}

describe('TCP state table (ip_vs_proto_tcp.c tcp_states)', () => {
  it('every one of the 132 cells of the normal table', async () => {
    const results = await runTable(parse(NORMAL), false);
    expect(results).toHaveLength(132);
    expect(results.filter((r) => !r.endsWith('ok'))).toEqual([]);
  });

  it('every cell of the secure_tcp table (tcp_states_dos)', async () => {
    const dos = parse(NORMAL);
    for (const [row, col, to] of DOS_DIFFS) {
      const cells = dos.get(row);
      if (!cells) throw new Error(row);
      cells[COLS.indexOf(col)] = to;
    }
    const results = await runTable(dos, true);
    expect(results.filter((r) => !r.endsWith('ok'))).toEqual([]);
  });

  it('a packet with no SYN/FIN/ACK/RST moves the connection to CLOSE (tcp_state_idx < 0)', async () => {
    const { director, port } = await rig({
      services: [
        {
          name: 's',
          config: {
            protocol: 'tcp',
            address: '198.18.0.1',
            port: 80,
            realServers: [{ address: '198.18.1.1', method: 'masq' }],
          },
        },
      ],
    });
    port.connect('198.19.0.1', 1000, '198.18.0.1', 80);
    expect(director.connections()[0]?.state).toBe('ESTABLISHED');
    port.send({ source: '198.19.0.1', sourcePort: 1000, destination: '198.18.0.1', destinationPort: 80, flags: '' });
    expect(director.connections()[0]?.state).toBe('CLOSE');
  });
});
