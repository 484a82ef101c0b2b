// The one live connection to parley: Server-Sent Events from api/events (no polling). Views
// subscribe to the kinds they show; the snapshot starts every (re)connection.
const listeners = new Set();
let source = null;

export function connect(onLink) {
  source = new EventSource('api/events');
  source.onopen = () => onLink(true);
  source.onerror = () => onLink(false);
  for (const kind of ['snapshot', 'call', 'line', 'turn']) {
    source.addEventListener(kind, (e) => {
      const data = JSON.parse(e.data);
      for (const l of listeners) l(kind, data);
    });
  }
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
