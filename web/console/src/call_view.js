// One call: both sides' words as they are said, each turn's latency broken down, and where the
// caller interrupted or a fallback took over.
import { api, callDuration, duration, el, seconds } from './dom.js';
import { subscribe } from './events.js';

const EVENTS = {
  interruption: ['caller interrupted', false],
  false_interruption_resumed: ['not an interruption: reply resumed', false],
  stt_error: ['speech recognition failed → "please repeat"', true],
  llm_error: ['language model failed → fallback', true],
  tts_error: ['speech synthesis failed over to the next engine', true],
  tts_all_failed: ['no speech synthesis: text only', true],
  silence_prompt: ['silence → "are you still there?"', false],
};

function eventLabel(text) {
  if (text.startsWith('dtmf:')) return [`keypad ${text.slice(5)}`, false];
  if (text.startsWith('llm_fallback:')) {
    // A hand-over inside the LLM chain: "llm_fallback:<from>:<to>".
    const [from, to] = text.slice(13).split(':');
    return [to === 'script' ? `language model ${from} failed → script` : `language model ${from} failed → ${to}`, true];
  }
  return EVENTS[text] || [text, false];
}

function lineEl(l) {
  if (l.side === 'event') {
    const [label, bad] = eventLabel(l.text);
    return el('div', { class: `line event${bad ? ' bad' : ''}`, 'data-side': 'event', 'data-event': l.text, text: label });
  }
  return el('div', { class: `line ${l.side}${l.final ? '' : ' interim'}`, 'data-side': l.side, 'data-segment': l.segment },
    el('span', { class: 'who', text: l.side === 'agent' ? 'Agent' : 'Caller' }), l.text);
}

// The turn's waterfall (hops that add up to its end to end) when the server sent one; else the
// older overlapping figures.
const HOPS = ['vad', 'stt', 'endpointing', 'llm', 'first_sentence', 'tts', 'pacing'];

function bar(t) {
  const parts = t.waterfall ? HOPS.map((h) => [h, t.waterfall[h]])
    : [['eou', t.end_of_utterance], ['stt', t.stt], ['llm', t.llm_first_token], ['tts', t.tts_first_audio]];
  const total = parts.reduce((s, [, v]) => s + (v || 0), 0) || 1;
  // Widths through the CSSOM: the CSP forbids style attributes.
  return el('div', { class: 'bar' }, ...parts.map(([k, v]) => {
    const s = el('span', { class: `b-${k}`, title: `${k} ${seconds(v)}` });
    s.style.width = `${((v || 0) / total) * 100}%`;
    return s;
  }));
}

function turnRow(t) {
  const marks = [];
  if (t.interrupted) marks.push(el('span', { class: 'mark', text: 'interrupted' }));
  if (t.stt_failed) marks.push(el('span', { class: 'mark', text: 'STT failed' }));
  if (t.llm_failed) marks.push(el('span', { class: 'mark', text: 'LLM failed' }));
  // A keypad turn: no speech, so its end to end runs from the digit to the first answer frame.
  if (t.keypad) marks.push(el('span', { class: 'mark keypad', text: `keypad ${t.keypad}` }));
  return el('tr', { 'data-turn': t.turn },
    el('td', { class: 'num', text: String(t.turn) }),
    el('td', { class: 'num', text: seconds(t.end_of_utterance) }),
    el('td', { class: 'num', text: seconds(t.stt) }),
    el('td', { class: 'num', text: seconds(t.llm_first_token) }),
    el('td', { class: 'num', text: seconds(t.tts_first_audio) }),
    el('td', { class: 'num e2e', text: seconds(t.end_to_end) }),
    el('td', {}, bar(t), ...marks));
}

export function showCall(view, id) {
  let call = null;
  let seq = -1;  // events up to this are in the detail already
  const pending = [];
  const head = el('div', { class: 'call-head' });
  const transcript = el('div', { class: 'transcript card', id: 'transcript' });
  const turns = el('tbody', { id: 'turns' });
  view.replaceChildren(head,
    el('div', { class: 'columns' },
      el('div', {}, el('h2', { text: 'Transcript' }), transcript),
      el('div', {}, el('h2', { text: 'Turns' }),
        el('div', { class: 'legend' }, ...[['vad', 'VAD'], ['stt', 'STT'], ['endpointing', 'endpointing wait'], ['llm', 'LLM first token'],
          ['first_sentence', 'first sentence'], ['tts', 'TTS first audio'], ['pacing', 'pacing']]
          .map(([k, label]) => el('span', {}, el('i', { class: `b-${k}` }), label))),
        el('table', {}, el('thead', {}, el('tr', {}, ...['#', 'EOU', 'STT', 'LLM', 'TTS', 'End to end', ''].map((h) => el('th', { class: 'num', text: h })))), turns))));

  const renderHead = () => {
    if (!call) return;
    head.replaceChildren(...[
      el('span', { class: 'room', text: call.room }),
      el('span', { text: call.caller }),
      el('span', { id: 'call-state', class: `state ${call.state}`, text: call.state }),
      el('span', { class: 'duration', text: duration(callDuration(call)) }),
      call.live ? null : el('span', { class: 'status', text: `ended: ${call.end_reason}` })].filter(Boolean));
  };
  const upsertLine = (l) => {
    const existing = l.segment ? transcript.querySelector(`[data-side="${l.side}"][data-segment="${CSS.escape(l.segment)}"]`) : null;
    const node = lineEl(l);
    if (existing) existing.replaceWith(node); else transcript.append(node);
    transcript.scrollTop = transcript.scrollHeight;
  };
  const apply = (kind, data) => {
    if (kind === 'call' && data.id === id) { call = { ...call, ...data }; renderHead(); }
    if (data.call !== id || data.seq <= seq) return;
    if (kind === 'line') upsertLine(data.line);
    if (kind === 'turn') turns.append(turnRow(data.turn));
  };
  const unsubscribe = subscribe((kind, data) => { if (seq < 0) pending.push([kind, data]); else apply(kind, data); });
  api(`api/calls/${encodeURIComponent(id)}`).then((c) => {
    call = c;
    seq = c.seq;
    for (const l of c.lines) upsertLine(l);
    for (const t of c.turn_list) turns.append(turnRow(t));
    renderHead();
    for (const [k, d] of pending.splice(0)) apply(k, d);
  }).catch(() => { head.replaceChildren(el('span', { class: 'status', text: 'This call is not (or no longer) known.' })); });
  const tick = setInterval(renderHead, 1000);
  return () => { unsubscribe(); clearInterval(tick); };
}
