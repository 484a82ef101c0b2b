// The calls: charts, then every call in progress and the last ended ones, live.
import { drawCharts } from './charts.js';
import { callDuration, duration, el, seconds } from './dom.js';
import { subscribe } from './events.js';

export const calls = new Map();  // id -> summary, kept current by the event stream

subscribe((kind, data) => {
  if (kind === 'snapshot') {
    calls.clear();
    for (const c of data.calls) calls.set(c.id, c);
  } else if (kind === 'call') {
    calls.set(data.id, data);
  }
});

function row(c) {
  return el('tr', { 'data-call-id': c.id, class: c.live ? 'live' : 'ended' },
    el('td', {}, el('a', { href: `#/call/${encodeURIComponent(c.id)}`, text: c.room })),
    el('td', { text: c.caller }),
    el('td', {}, el('span', { class: `state ${c.state}`, text: c.state })),
    el('td', { class: 'num duration', text: duration(callDuration(c)) }),
    el('td', { class: 'num', text: String(c.turns) }),
    el('td', { class: 'num', text: seconds(c.last_latency) }),
    el('td', { text: [c.interruptions ? `${c.interruptions} interrupted` : '', c.fallbacks ? `${c.fallbacks} fallback` : '',
      c.live ? '' : c.end_reason].filter(Boolean).join(' · ') }));
}

export function showCalls(view) {
  const charts = el('div', { class: 'charts' });
  const body = el('tbody', { id: 'calls' });
  view.replaceChildren(
    el('h2', { text: 'Last hour' }), charts,
    el('h2', { text: 'Calls' }),
    el('table', {}, el('thead', {}, el('tr', {},
      ...['Room', 'Caller', 'State', 'Duration', 'Turns', 'Last latency', ''].map((h, i) =>
        el('th', { class: i >= 3 && i <= 5 ? 'num' : '', text: h })))), body));
  const render = () => {
    const list = [...calls.values()].sort((a, b) => (b.live - a.live) || (a.live ? a.started - b.started : b.ended - a.ended));
    body.replaceChildren(...(list.length ? list.map(row) : [el('tr', {}, el('td', { colspan: 7, class: 'empty', text: 'No calls yet.' }))]));
  };
  render();
  drawCharts(charts);
  // The charts follow calls beginning and ending (at most every 5 s) and the minute turning.
  let redraw = null;
  const chartSoon = () => { if (!redraw) redraw = setTimeout(() => { redraw = null; drawCharts(charts); }, 5000); };
  const known = new Set(calls.keys());
  const unsubscribe = subscribe((kind, data) => {
    if (kind !== 'snapshot' && kind !== 'call') return;
    render();
    if (kind === 'call' && (!known.has(data.id) || !data.live || data.turns)) { known.add(data.id); chartSoon(); }
  });
  const tick = setInterval(render, 1000);
  const charted = setInterval(() => drawCharts(charts), 60000);
  return () => { unsubscribe(); clearInterval(tick); clearInterval(charted); clearTimeout(redraw); };
}
