// Tiny DOM helpers: elements are built with textContent only (never innerHTML), so words from a
// call can never become markup.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// A latency: milliseconds below one second, else seconds.
export function seconds(v) {
  if (v === null || v === undefined) return '–';
  return v < 1 ? `${Math.round(v * 1000)} ms` : `${v.toFixed(2)} s`;
}

export function duration(s) {
  s = Math.max(0, Math.floor(s));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

// A call's duration now: live calls count up from their start.
export function callDuration(c) {
  return c.live ? (Date.now() - c.started) / 1000 : c.duration;
}

export async function api(path, options = {}) {
  const r = await fetch(path, { credentials: 'same-origin', ...options });
  if (!r.ok) {
    // A 429 (the playground's limits) says which limit and what to do: show it.
    const why = r.status === 429 ? (await r.text()).trim() : '';
    throw new Error(why ? `${path}: ${r.status} ${why}` : `${path}: ${r.status}`);
  }
  return r.json();
}
