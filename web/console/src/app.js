// parley's operator console: the calls, one call, and the playground, by the URL's hash.
import './app.css';
import { showCall } from './call_view.js';
import { showCalls } from './calls_view.js';
import { connect } from './events.js';
import { showPlayground } from './playground.js';

let leaveView = () => {};

function route() {
  const view = document.getElementById('view');
  const hash = location.hash || '#/';
  leaveView();
  const call = hash.match(/^#\/call\/(.+)$/);
  if (call) leaveView = showCall(view, decodeURIComponent(call[1]));
  else if (hash === '#/playground') leaveView = showPlayground(view);
  else leaveView = showCalls(view);
  document.getElementById('nav-calls').classList.toggle('active', !hash.startsWith('#/playground'));
  document.getElementById('nav-playground').classList.toggle('active', hash.startsWith('#/playground'));
}

document.addEventListener('DOMContentLoaded', () => {
  const link = document.getElementById('link-state');
  connect((up) => { link.textContent = up ? 'live' : 'reconnecting…'; link.classList.toggle('up', up); });
  window.addEventListener('hashchange', route);
  route();
});
