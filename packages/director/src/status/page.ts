/**
 * The status page itself: one HTML document with its style and script inline, loading nothing from anywhere
 * (the server's Content-Security-Policy forbids it), so it works on a box without internet and with no build
 * step. The script reads `api/history` once, then follows `api/events` (a snapshot every second, each
 * director event as it happens) and redraws. User-supplied names reach the DOM only through `esc()`.
 * The script is plain ES2017 in a string: no backticks and no `${` inside it.
 */

const STYLE = `
:root{--bg:#f5f6f8;--card:#fff;--line:#e2e5ea;--text:#1c2230;--muted:#687181;--up:#2e8555;--down:#c0392b;
--warn:#b7791f;--info:#2f6fb2;--total:#1c2230;--fill:rgba(47,111,178,.08);--downbg:#fdf1ef;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--card:#1b1f26;--line:#2a303a;--text:#dfe3ea;--muted:#8a93a3;
--up:#4cb782;--down:#e5675a;--warn:#d9a441;--info:#6ea8e0;--total:#dfe3ea;--fill:rgba(110,168,224,.10);--downbg:#2a1d1d}}
*{box-sizing:border-box}
html,body{margin:0;background:var(--bg);color:var(--text);font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;flex-wrap:wrap;align-items:center;gap:6px 14px;padding:8px 16px;background:var(--card);border-bottom:1px solid var(--line);position:sticky;top:0;z-index:1}
header .brand{font-weight:600;font-size:14px}
header .brand span{font-weight:400;color:var(--muted);font-family:var(--mono);font-size:12px;margin-left:6px}
.spacer{flex:1}
.muted{color:var(--muted)}
.mono{font-family:var(--mono);font-size:12px}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:11px;font-weight:600;letter-spacing:.02em;border:1px solid currentColor;white-space:nowrap}
.b-up,.s-MASTER,.s-running{color:var(--up)}
.b-down,.s-FAULT,.s-stopped{color:var(--down)}
.s-BACKUP{color:var(--info)}
.s-INIT,.s-created,.b-off{color:var(--muted)}
.b-warn{color:var(--warn)}
.dot{display:inline-block;width:8px;height:8px;border-radius:50%;margin-right:6px;vertical-align:0;background:var(--muted)}
.dot.up{background:var(--up)}.dot.down{background:var(--down)}
#live{font-size:12px;color:var(--muted)}
#live.ok .dot{background:var(--up)}#live.bad .dot{background:var(--warn)}
.vips{display:flex;flex-wrap:wrap;gap:6px}
.vip{font-family:var(--mono);font-size:12px;padding:1px 7px;border:1px solid var(--line);border-radius:4px;white-space:nowrap}
main{padding:12px 16px 24px;max-width:1500px;margin:0 auto}
.tiles{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:10px;margin-bottom:10px}
.tile,.panel{background:var(--card);border:1px solid var(--line);border-radius:6px}
.tile{padding:8px 12px}
.tile .k{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.04em}
.tile .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums;margin-top:2px}
.charts{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:10px}
.chart{padding:8px 10px 6px}
.chart h3{margin:0;font-size:12px;font-weight:600;display:flex;justify-content:space-between}
.chart h3 .cur{font-variant-numeric:tabular-nums;color:var(--muted);font-weight:400}
.plot{position:relative;margin-top:4px}
.plot svg{display:block;width:100%;height:110px}
.plot .ymax{position:absolute;left:2px;top:-2px;font-size:10px;color:var(--muted);background:var(--card);padding:0 2px}
.axis{display:flex;justify-content:space-between;font-size:10px;color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 2px 12px;font-size:12px;color:var(--muted)}
.legend i{display:inline-block;width:14px;height:3px;border-radius:2px;margin-right:5px;vertical-align:middle}
.cols{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);grid-template-rows:auto auto auto 1fr;grid-template-areas:"svc vrrp" "svc sync" "svc ann" "svc ev";gap:0 14px;align-items:start}
#svcbox{grid-area:svc}#vrrpbox{grid-area:vrrp}#syncbox{grid-area:sync}#annbox{grid-area:ann}#evbox{grid-area:ev}
h2{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:14px 2px 6px;font-weight:600}
.cols h2{margin-top:4px}#evbox h2,#syncbox h2,#annbox h2{margin-top:14px}
.svc{margin-bottom:10px;overflow:hidden}
.svc-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 12px;padding:8px 12px;border-bottom:1px solid var(--line)}
.svc-head .name{font-weight:600;font-size:14px}
.svc-head .rates{margin-left:auto;font-variant-numeric:tabular-nums;color:var(--muted);white-space:nowrap}
.svc-head .rates b{color:var(--text);font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{padding:5px 12px;text-align:left;white-space:nowrap;border-bottom:1px solid var(--line)}
tr:last-child td{border-bottom:0}
th{font-size:11px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;background:transparent}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.down td{background:var(--downbg)}
td .why{color:var(--muted);font-size:12px;white-space:normal}
.chk{display:inline-block;font-size:11px;padding:0 5px;margin-right:3px;border-radius:3px;border:1px solid var(--line)}
.chk.up{color:var(--up)}.chk.down{color:var(--down);border-color:var(--down)}
.sorry td{color:var(--muted)}
#events{list-style:none;margin:0;padding:0;max-height:560px;overflow-y:auto}
#events li{display:grid;grid-template-columns:64px minmax(0,1fr);gap:8px;padding:5px 10px;border-bottom:1px solid var(--line);border-left:3px solid transparent}
#events li:last-child{border-bottom:0}
#events li.warn{border-left-color:var(--warn)}#events li.error{border-left-color:var(--down)}
#events .t{font-family:var(--mono);font-size:11px;color:var(--muted);padding-top:1px}
#events .x{word-break:break-word}
.empty{padding:10px 12px;color:var(--muted)}
@media (max-width:1180px){.cols{grid-template-columns:minmax(0,1fr);grid-template-rows:auto;grid-template-areas:"vrrp" "sync" "ann" "svc" "ev"}#vrrpbox,#syncbox,#annbox{margin-bottom:10px}}
@media (max-width:820px){.tiles{grid-template-columns:repeat(3,minmax(0,1fr))}}
@media (max-width:640px){header{padding:8px 10px}main{padding:10px}.charts{grid-template-columns:minmax(0,1fr)}
.tiles{grid-template-columns:repeat(2,minmax(0,1fr))}.tile:last-child{grid-column:span 2}.opt{display:none}td.wrap{white-space:normal;min-width:120px}th,td{padding:5px 6px;font-size:12px}th{font-size:10px}.svc-head{padding:8px 8px}.svc-head .rates{margin-left:0}
.plot svg{height:90px}}
`;

const SCRIPT = `
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var COLORS = ['#2f6fb2', '#8a5cc2', '#2f8f8f', '#c77d1a', '#c2417a', '#5a8f2f', '#6b7380', '#1f8fb2'];
  var CHARTS = [['cps', 'Connections/s', ''], ['pps', 'Packets/s', ''], ['bps', 'Bytes/s', 'B']];
  var snap = null;
  var hist = null;
  var events = [];
  var seen = {};
  var lastSnapshotAt = 0;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function num(v, unit) {
    if (v === null || v === undefined || isNaN(v)) return '\\u2013';
    var p = ['', 'k', 'M', 'G', 'T'];
    var i = 0;
    var a = Math.abs(v);
    while (a >= 1000 && i < 4) { a /= 1000; v /= 1000; i++; }
    var t = i === 0 && Math.round(v) === v ? String(v) : v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : i === 0 ? 1 : 2);
    return t + (p[i] || unit ? '\\u202f' + p[i] + (unit || '') : '');
  }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function wall(at) { return snap ? snap.wallTime - (snap.now - at) : Date.now(); }
  function hms(ms) { var d = new Date(ms); return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function ago(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm ago';
    return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm ago';
  }
  function badge(cls, text) { return '<span class="badge ' + cls + '">' + esc(text) + '</span>'; }
  function colorOf(name) {
    var names = snap ? snap.services.map(function (s) { return s.name; }) : Object.keys(hist ? hist.services : {});
    var i = names.indexOf(name);
    return COLORS[(i < 0 ? names.length : i) % COLORS.length];
  }

  // ---------------------------------------------------------------- header and tiles
  function renderHeader() {
    $('host').textContent = snap.host;
    var lc = $('lifecycle');
    lc.className = 'badge s-' + snap.lifecycle;
    lc.textContent = snap.lifecycle;
    $('vips').innerHTML = snap.vips.map(function (v) {
      return '<span class="vip" data-vip="' + esc(v.address) + '" data-serving="' + v.serving + '" title="' +
        esc(v.name + (v.instance ? ' (' + v.instance + ')' : '')) + '"><span class="dot ' + (v.serving ? 'up' : '') +
        '"></span>' + esc(v.address) + ' <span class="muted">' + (v.serving ? 'serving' : 'not serving') + '</span></span>';
    }).join('');
    $('updated').textContent = 'updated ' + hms(snap.wallTime);
  }
  function renderTiles() {
    var up = 0, all = 0, active = 0, inactive = 0;
    snap.services.forEach(function (s) {
      s.realServers.forEach(function (r) {
        all++;
        if (r.health !== 'down') up++;
        active += r.activeConns;
        inactive += r.inactiveConns;
      });
    });
    var r = snap.rate || {};
    var tiles = [
      ['Connections/s', num(r.cps)], ['Packets/s', num(r.pps)], ['Bytes/s', num(r.bps, 'B')],
      ['Active / inactive', num(active) + ' / ' + num(inactive)],
      ['Real servers up', up + ' / ' + all]
    ];
    $('tiles').innerHTML = tiles.map(function (t, i) {
      var warn = i === 4 && up < all ? ' style="color:var(--down)"' : '';
      return '<div class="tile"><div class="k">' + t[0] + '</div><div class="v"' + warn + ' data-tile="' + i + '">' + t[1] + '</div></div>';
    }).join('');
  }

  // ---------------------------------------------------------------- VRRP
  function renderVrrp() {
    var el = $('vrrp');
    if (snap.vrrp.length === 0) { el.innerHTML = '<div class="empty">No VRRP instances: this director serves all its VIPs.</div>'; return; }
    el.innerHTML = '<div class="scroll"><table><thead><tr><th>Instance</th><th>State</th><th class="n">Prio</th>' +
      '<th class="opt">VRID</th><th class="opt">Interface</th><th>Last transition</th></tr></thead><tbody>' +
      snap.vrrp.map(function (v) {
        var t = v.lastTransition;
        var last = t ? esc(t.from + ' \\u2192 ' + t.to) + ' <span class="muted">' + esc(t.reason) + '</span><div class="why" title="' +
          esc(hms(wall(t.at))) + '">' + hms(wall(t.at)) + ' \\u00b7 ' + ago(snap.now - t.at) + '</div>' : '<span class="muted">none seen</span>';
        var prio = v.effectivePriority === v.priority ? String(v.priority) : v.effectivePriority + ' <span class="muted">(' + v.priority + ')</span>';
        return '<tr data-vrrp="' + esc(v.instance) + '" data-state="' + esc(v.state) + '"><td><b>' + esc(v.instance) +
          '</b><div class="why mono">' + esc(v.vips.join(' ')) + '</div></td><td>' + badge('s-' + v.state, v.state) +
          '</td><td class="n">' + prio + '</td><td class="opt">' + v.virtualRouterId + '</td><td class="opt mono">' +
          esc(v.interface) + '</td><td class="wrap">' + last + '</td></tr>';
      }).join('') + '</tbody></table></div>';
  }

  // ---------------------------------------------------------------- connection sync
  function renderSync() {
    var el = $('sync');
    var sy = snap.sync;
    var who = sy.roles === null ? 'No sync block in the config.' : sy.roles === 'follow' ? 'Follows VRRP instance ' + esc(sy.instance) + '.' : 'Roles: ' + esc(sy.roles) + '.';
    if (sy.daemons.length === 0) { el.innerHTML = '<div class="empty">No sync daemon runs. ' + who + '</div>'; return; }
    el.innerHTML = '<div class="empty">' + who + '</div><div class="scroll"><table><thead><tr><th>Daemon</th><th class="n">Msgs</th>' +
      '<th class="n">Records</th><th class="n">Drops</th><th class="n opt">Lost</th><th>Last</th></tr></thead><tbody>' +
      sy.daemons.map(function (d) {
        var master = d.role === 'master';
        var where = d.peers.length > 0 ? d.peers.join(' ') : d.group + ':' + d.port;
        var last = d.lastMessageAt === null ? '<span class="muted">none</span>' : ago(snap.now - d.lastMessageAt) +
          (d.lagMs === null ? '' : '<div class="why">lag ' + num(d.lagMs) + ' ms</div>');
        return '<tr data-sync="' + esc(d.role) + '"><td><b>' + esc(d.role) + '</b> ' + (d.running ? badge('b-up', 'running') : badge('b-off', 'starting')) +
          '<div class="why mono">' + esc(d.interface + ' syncid ' + d.syncid + ' \u2192 ' + where) + '</div></td><td class="n">' +
          num(master ? d.messagesSent : d.messagesReceived) + '</td><td class="n">' + num(master ? d.recordsSent : d.recordsApplied) +
          '</td><td class="n">' + num(d.drops) + '</td><td class="n opt">' + num(d.lostMessages) + '</td><td class="wrap">' + last + '</td></tr>';
      }).join('') + '</tbody></table></div>';
  }

  // ---------------------------------------------------------------- scale-out announcement
  function renderAnnounce() {
    var el = $('announce');
    var an = snap.announce;
    if (!an) { el.innerHTML = '<div class="empty">No announce block in the config.</div>'; return; }
    el.innerHTML = '<div class="scroll"><table><thead><tr><th>VIP</th><th>Route</th></tr></thead><tbody>' +
      an.vips.map(function (v) {
        return '<tr data-announce="' + esc(v.vip) + '"><td><b>' + esc(v.vip) + '</b><div class="why mono">' + esc(v.prefix) + '</div></td><td>' +
          (v.announced ? badge('b-up', 'announced') : badge('b-off', 'withdrawn')) + '</td></tr>';
      }).join('') + '</tbody></table></div>' +
      (an.peers.length === 0 ? '' : '<div class="empty">BGP peers: ' + an.peers.map(function (p) {
        return esc(p.address + ' (AS ' + p.as + ') ' + p.state);
      }).join(', ') + '</div>');
  }

  // ---------------------------------------------------------------- services
  function rsRow(s, r, sorry) {
    var key = s.name + '|' + r.address + '|' + r.port;
    var health = sorry ? (r.weight === null ? '<span class="dot"></span><span class="muted">standby</span>' : '<span class="dot up"></span>in use') :
      r.health === 'unmanaged' ? '<span class="dot"></span><span class="muted">no checks</span>' :
      '<span class="dot ' + r.health + '"></span>' + r.health;
    var weight = r.weight === null ? '<span class="muted" title="not in the IPVS table">out</span>' :
      r.configuredWeight !== null && r.configuredWeight !== r.weight ? '<b>' + r.weight + '</b> <span class="muted">/ ' + r.configuredWeight + '</span>' : String(r.weight);
    var checks = r.checks.map(function (c) {
      return '<span class="chk ' + (c.up ? 'up' : 'down') + '">' + esc(c.type.replace(/_CHECK$/, '')) + '</span>';
    }).join('');
    var why = r.reason && r.health === 'down' ? '<div class="why">' + esc(r.reason) + '</div>' : '';
    return '<tr class="' + (r.health === 'down' ? 'down' : '') + (sorry ? ' sorry' : '') + '" data-rs="' + esc(key) +
      '" data-health="' + r.health + '"><td class="mono">' + esc(r.endpoint) + (sorry ? ' <span class="muted">sorry</span>' : '') +
      why + '</td><td>' + health + (r.overloaded ? ' ' + badge('b-warn', 'overloaded') : '') + '</td><td class="n">' + weight +
      '</td><td class="n">' + r.activeConns + '</td><td class="n">' + r.inactiveConns + '</td><td class="n opt">' +
      r.persistentConns + '</td><td class="opt">' + esc(r.method || '\\u2013') + '</td><td class="opt">' + checks + '</td></tr>';
  }
  function renderServices() {
    var el = $('services');
    if (snap.services.length === 0) { el.innerHTML = '<div class="panel empty">No virtual services.</div>'; return; }
    el.innerHTML = snap.services.map(function (s) {
      var bits = [esc(s.protocol.toUpperCase()), esc(s.scheduler) + (s.flags.length ? ' <span class="muted">' + esc(s.flags.join(',')) + '</span>' : '')];
      if (s.persistence) bits.push('persistent ' + s.persistence.timeout + 's' + (s.persistence.netmask !== '255.255.255.255' && s.persistence.netmask !== '/128' ? ' ' + esc(s.persistence.netmask) : ''));
      var q = s.quorum ? (s.quorum.up ? badge('b-up', 'quorum ' + s.quorum.liveWeight + '/' + s.quorum.quorum) : badge('b-down', 'quorum lost ' + s.quorum.liveWeight + '/' + s.quorum.quorum)) : '';
      var extra = !s.inTable ? badge('b-off', 'not in table') : !s.configured ? badge('b-off', 'ipvsadm') : '';
      var r = s.rate || {};
      var rates = '<span class="rates"><b>' + num(r.cps) + '</b> conn/s \\u00b7 <b>' + num(r.pps) + '</b> pkt/s \\u00b7 <b>' + num(r.bps, 'B') + '</b>/s</span>';
      var rows = s.realServers.map(function (x) { return rsRow(s, x, false); }).join('') + (s.sorryServer ? rsRow(s, s.sorryServer, true) : '');
      return '<div class="panel svc" data-service="' + esc(s.name) + '"><div class="svc-head"><i class="legend-dot" style="display:inline-block;width:10px;height:10px;border-radius:2px;background:' +
        colorOf(s.name) + '"></i><span class="name">' + esc(s.name) + '</span><span class="mono">' + esc(s.endpoint) + '</span><span class="muted">' +
        bits.join(' \\u00b7 ') + '</span>' + q + extra + rates + '</div><div class="scroll"><table><thead><tr><th>Real server</th><th>Health</th>' +
        '<th class="n">Weight</th><th class="n">Active</th><th class="n">Inact</th><th class="n opt">Persist</th><th class="opt">Method</th><th class="opt">Checks</th></tr></thead><tbody>' +
        (rows || '<tr><td colspan="8" class="muted">no real servers</td></tr>') + '</tbody></table></div></div>';
    }).join('');
  }

  // ---------------------------------------------------------------- events
  function addEvent(ev) {
    if (seen[ev.seq]) return false;
    seen[ev.seq] = true;
    events.push(ev);
    if (events.length > 200) { var gone = events.splice(0, events.length - 200); gone.forEach(function (g) { delete seen[g.seq]; }); }
    return true;
  }
  function renderEvents() {
    var el = $('events');
    if (events.length === 0) { el.innerHTML = '<li class="empty">No events yet.</li>'; return; }
    var out = [];
    for (var i = events.length - 1; i >= 0; i--) {
      var e = events[i];
      out.push('<li class="' + e.level + '" data-type="' + esc(e.type) + '"><span class="t" title="' + esc(ago(snap ? snap.now - e.at : 0)) + '">' +
        hms(wall(e.at)) + '</span><span class="x">' + esc(e.text) + '</span></li>');
    }
    el.innerHTML = out.join('');
  }

  // ---------------------------------------------------------------- charts
  function appendSample() {
    if (!hist || !snap || snap.sampledAt === null) return;
    var times = hist.times;
    if (times.length && snap.sampledAt <= times[times.length - 1]) return;
    times.push(snap.sampledAt);
    var r = snap.rate || {};
    CHARTS.forEach(function (c) { hist.total[c[0]].push(r[c[0]] === undefined ? null : r[c[0]]); });
    var present = {};
    snap.services.forEach(function (s) {
      present[s.name] = true;
      var series = hist.services[s.name];
      if (!series) {
        series = hist.services[s.name] = {};
        CHARTS.forEach(function (c) { series[c[0]] = times.slice(0, -1).map(function () { return null; }); });
      }
      CHARTS.forEach(function (c) { series[c[0]].push(s.rate && s.rate[c[0]] !== undefined ? s.rate[c[0]] : null); });
    });
    Object.keys(hist.services).forEach(function (n) { if (!present[n]) delete hist.services[n]; });
    var over = times.length - hist.capacity;
    if (over > 0) {
      times.splice(0, over);
      CHARTS.forEach(function (c) {
        hist.total[c[0]].splice(0, over);
        Object.keys(hist.services).forEach(function (n) { hist.services[n][c[0]].splice(0, over); });
      });
    }
  }
  function pathOf(times, values, t0, span, ymax, W, H) {
    var d = '';
    var area = '';
    var points = 0;
    var segX = null;
    var lastX = 0;
    for (var i = 0; i <= times.length; i++) {
      var v = i < times.length ? values[i] : null;
      if (v === null || v === undefined) {
        if (segX !== null) area += 'L' + lastX + ' ' + H + 'Z';
        segX = null;
        continue;
      }
      var x = (((times[i] - t0) / span) * W).toFixed(1);
      var y = (H - (v / ymax) * (H - 4) - 1).toFixed(1);
      if (segX === null) { d += 'M' + x + ' ' + y; area += 'M' + x + ' ' + H + 'L' + x + ' ' + y; segX = x; }
      else { d += 'L' + x + ' ' + y; area += 'L' + x + ' ' + y; }
      lastX = x;
      points++;
    }
    return { d: d, area: area, points: points };
  }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var e = Math.pow(10, Math.floor(Math.log10(v)));
    var m = v / e;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
  }
  function renderCharts() {
    if (!hist) return;
    var W = 600, H = 110;
    var times = hist.times;
    var now = times.length ? times[times.length - 1] : 0;
    var spanS = Math.min(hist.capacity, Math.max(60, times.length)) * (hist.intervalMs / 1000);
    var span = spanS * 1000;
    var t0 = now - span;
    var names = Object.keys(hist.services);
    CHARTS.forEach(function (c) {
      var key = c[0];
      var max = 0;
      var consider = function (arr) { for (var i = 0; i < arr.length; i++) if (times[i] >= t0 && arr[i] > max) max = arr[i]; };
      consider(hist.total[key]);
      names.forEach(function (n) { consider(hist.services[n][key]); });
      var ymax = niceMax(max * 1.1);
      var grid = '';
      for (var g = 1; g <= 3; g++) grid += '<line x1="0" x2="' + W + '" y1="' + (H * g / 4) + '" y2="' + (H * g / 4) + '" stroke="var(--line)" vector-effect="non-scaling-stroke"/>';
      var total = pathOf(times, hist.total[key], t0, span, ymax, W, H);
      var lines = names.length > 1 ? names.map(function (n) {
        var p = pathOf(times, hist.services[n][key], t0, span, ymax, W, H);
        return '<path class="svc-line" data-series="' + esc(n) + '" d="' + p.d + '" fill="none" stroke="' + colorOf(n) + '" stroke-width="1.25" vector-effect="non-scaling-stroke"/>';
      }).join('') : '';
      var svg = '<svg data-chart="' + key + '" data-points="' + total.points + '" viewBox="0 0 ' + W + ' ' + H + '" preserveAspectRatio="none" role="img" aria-label="' + c[1] + '">' +
        grid + (total.area ? '<path class="area" d="' + total.area + '" fill="var(--fill)" stroke="none"/>' : '') + lines +
        '<path class="total" d="' + total.d + '" fill="none" stroke="var(--total)" stroke-width="1.75" vector-effect="non-scaling-stroke"/></svg>';
      var last = hist.total[key][hist.total[key].length - 1];
      var panel = $('chart-' + key);
      panel.querySelector('.cur').textContent = 'now ' + num(last === undefined ? null : last, c[2]);
      panel.querySelector('.ymax').textContent = num(ymax, c[2]);
      panel.querySelector('.svgbox').innerHTML = svg;
      panel.querySelector('.from').textContent = '\\u2212' + (spanS >= 60 ? Math.round(spanS / 60) + ' min' : spanS + ' s');
    });
    var legend = '<span><i style="background:var(--total)"></i>total</span>';
    if (names.length > 1) legend += names.map(function (n) { return '<span><i style="background:' + colorOf(n) + '"></i>' + esc(n) + '</span>'; }).join('');
    $('legend').innerHTML = legend;
  }

  // ---------------------------------------------------------------- wiring
  function render() {
    renderHeader();
    renderTiles();
    renderVrrp();
    renderSync();
    renderAnnounce();
    renderServices();
    renderEvents();
    renderCharts();
  }
  function setLive(ok, text) {
    var el = $('live');
    el.className = ok ? 'ok' : 'bad';
    el.innerHTML = '<span class="dot"></span>' + esc(text);
  }
  fetch('api/history', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (h) {
    hist = h;
    appendSample();
    renderCharts();
  }).catch(function (err) { setLive(false, 'history unavailable: ' + err.message); });
  var source = new EventSource('api/events');
  source.addEventListener('open', function () { setLive(true, 'live'); });
  source.addEventListener('error', function () { setLive(false, 'reconnecting\\u2026'); });
  source.addEventListener('snapshot', function (m) {
    snap = JSON.parse(m.data);
    lastSnapshotAt = Date.now();
    // A restarted server numbers its events from 1 again: start the timeline over.
    if (events.length && snap.lastEventSeq < events[events.length - 1].seq) { events = []; seen = {}; }
    snap.events.forEach(addEvent);
    events.sort(function (a, b) { return a.seq - b.seq; });
    appendSample();
    render();
    setLive(true, 'live');
  });
  source.addEventListener('director', function (m) {
    if (addEvent(JSON.parse(m.data)) && snap) renderEvents();
  });
  setInterval(function () {
    if (lastSnapshotAt && Date.now() - lastSnapshotAt > 5000) setLive(false, 'no update for ' + Math.round((Date.now() - lastSnapshotAt) / 1000) + 's');
  }, 1000);
})();
`;

/** The status page: one self-contained HTML document (served as `GET /`). */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>lvskit director status</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <div class="brand">lvskit director<span id="host"></span></div>
  <span id="lifecycle" class="badge s-created">…</span>
  <div id="vips" class="vips"></div>
  <div class="spacer"></div>
  <span id="updated" class="muted mono"></span>
  <span id="live"><span class="dot"></span>connecting…</span>
</header>
<main>
  <section id="tiles" class="tiles" aria-label="totals"></section>
  <section class="charts" aria-label="rates">
    <div class="panel chart" id="chart-cps"><h3>Connections/s <span class="cur"></span></h3><div class="plot"><div class="svgbox"></div><span class="ymax"></span></div><div class="axis"><span class="from"></span><span>now</span></div></div>
    <div class="panel chart" id="chart-pps"><h3>Packets/s <span class="cur"></span></h3><div class="plot"><div class="svgbox"></div><span class="ymax"></span></div><div class="axis"><span class="from"></span><span>now</span></div></div>
    <div class="panel chart" id="chart-bps"><h3>Bytes/s <span class="cur"></span></h3><div class="plot"><div class="svgbox"></div><span class="ymax"></span></div><div class="axis"><span class="from"></span><span>now</span></div></div>
  </section>
  <div id="legend" class="legend"></div>
  <div class="cols">
    <section id="svcbox"><h2>Virtual services</h2><div id="services"></div></section>
    <section id="vrrpbox"><h2>VRRP</h2><div id="vrrp" class="panel"></div></section>
    <section id="syncbox"><h2>Connection sync</h2><div id="sync" class="panel"></div></section>
    <section id="annbox"><h2>Announcement</h2><div id="announce" class="panel"></div></section>
    <section id="evbox"><h2>Events</h2><div class="panel"><ol id="events"><li class="empty">No events yet.</li></ol></div></section>
  </div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
