// The two charts of the calls view, from api/history (parley's own per-minute figures): calls in
// progress, and end-to-end turn latency p50/p95 over the last hour.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, el } from './dom.js';

function chart(target, title, series, data, whole = false) {
  const width = Math.max(300, target.clientWidth - 24);
  // From 0; counts of calls on whole numbers.
  const y = { range: (u, min, max) => [0, Math.max(whole ? 2 : 1, Math.ceil((max || 0) * 1.2))] };
  return new uPlot({
    title, width, height: 180,
    series: [{}, ...series],
    axes: [{}, { size: 50, incrs: whole ? [1, 2, 5, 10, 20, 50, 100] : undefined }],
    scales: { x: { time: true }, y },
  }, data, target);
}

export async function drawCharts(host) {
  const calls = el('div', { class: 'card', id: 'chart-calls' });
  const latency = el('div', { class: 'card', id: 'chart-latency' });
  host.replaceChildren(calls, latency);
  let history;
  try { history = await api('api/history'); } catch { return; }
  const t = history.map((p) => p.t);
  chart(calls, 'Calls in progress', [{ label: 'calls', stroke: '#2f6fde', fill: 'rgba(47,111,222,.08)' }],
    [t, history.map((p) => p.calls)], true);
  chart(latency, 'End-to-end turn latency (s)', [
    { label: 'p50', stroke: '#12b76a', spanGaps: true, points: { show: true } },
    { label: 'p95', stroke: '#f04438', spanGaps: true, points: { show: true } },
  ], [t, history.map((p) => p.p50), history.map((p) => p.p95)]);
}
