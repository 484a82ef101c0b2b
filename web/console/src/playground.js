// "Talk to the agent": parley mints a token for one fresh room; the browser joins it with the
// microphone through livekit-client, and parley's agent answers as it would a phone caller.
// Both sides' words come from the room's lk.transcription text streams.
import { LogLevel, Room, RoomEvent, setLogLevel } from 'livekit-client';
import { api, el } from './dom.js';

// The keypad digits the scripted dialogue understands (src/providers/llm/default_script.yaml).
const KEYPAD = [['1', 'opening hours'], ['2', 'address'], ['3', 'prices'], ['0', 'operator'], ['#', 'goodbye']];
const DTMF_CODE = { '*': 10, '#': 11 };

let room = null;

// ?debug in the page's address turns on livekit-client's own debug log (the browser console).
if (new URLSearchParams(location.search).has('debug')) setLogLevel(LogLevel.debug);

export function showPlayground(view) {
  const status = el('span', { class: 'status', id: 'pg-status', text: 'Not connected.' });
  const transcript = el('div', { class: 'transcript card', id: 'pg-transcript' });
  const start = el('button', { class: 'primary', id: 'pg-start', text: 'Start talking' });
  const hangup = el('button', { class: 'danger', id: 'pg-hangup', text: 'Hang up', disabled: true });
  const digit = el('select', { id: 'pg-digit' }, ...KEYPAD.map(([d, label]) => el('option', { value: d, text: `${d}  ${label}` })));
  const send = el('button', { id: 'pg-send', text: 'Press key', disabled: true });
  const audio = el('div', { id: 'pg-audio', hidden: true });
  view.replaceChildren(
    el('h2', { text: 'Talk to the agent' }),
    el('div', { class: 'controls' }, start, hangup, digit, send, status),
    transcript, audio);

  const segments = new Map();  // segment id -> line element
  const show = (who, segment, text, final) => {
    let line = segments.get(segment);
    if (!line) {
      line = el('div', { class: `line ${who}`, 'data-side': who, 'data-segment': segment },
        el('span', { class: 'who', text: who === 'agent' ? 'Agent' : 'You' }), el('span', { class: 'words' }));
      segments.set(segment, line);
      transcript.append(line);
    }
    line.querySelector('.words').textContent = text;
    line.classList.toggle('interim', !final);
    line.dataset.final = final ? 'true' : 'false';
    transcript.scrollTop = transcript.scrollHeight;
  };

  const leave = async () => {
    if (room) await room.disconnect();
    room = null;
    start.disabled = false; hangup.disabled = true; send.disabled = true;
    status.textContent = 'Hung up.';
  };

  start.addEventListener('click', async () => {
    start.disabled = true;
    status.textContent = 'Connecting…';
    try {
      const ticket = await api('api/playground', { method: 'POST' });
      room = new Room({ adaptiveStream: false, dynacast: false });
      room.registerTextStreamHandler('lk.transcription', async (reader, participant) => {
        const attrs = reader.info.attributes || {};
        const segment = attrs['lk.segment_id'] || reader.info.id;
        const who = participant.identity === ticket.identity ? 'caller' : 'agent';
        let text = who === 'agent' ? (segments.get(segment)?.querySelector('.words').textContent || '') : '';
        for await (const chunk of reader) {
          text = who === 'agent' ? text + chunk : chunk;
          show(who, segment, text, false);
        }
        const final = (reader.info.attributes || {})['lk.transcription_final'] === 'true' || who === 'agent';
        show(who, segment, text, final);
      });
      room.on(RoomEvent.TrackSubscribed, (track) => { if (track.kind === 'audio') audio.append(track.attach()); });
      room.on(RoomEvent.Disconnected, () => { if (room) leave(); });
      await room.connect(ticket.url, ticket.token);
      // Plain Opus, as a phone bridge sends: no redundant (RED) packets, no silence suppression.
      await room.localParticipant.setMicrophoneEnabled(true, undefined, { red: false, dtx: false });
      status.textContent = `In room ${ticket.room}. Speak, or press a key.`;
      status.dataset.room = ticket.room;
      hangup.disabled = false; send.disabled = false;
    } catch (e) {
      status.textContent = `Could not start: ${e.message}`;
      start.disabled = false;
      room = null;
    }
  });
  hangup.addEventListener('click', leave);
  send.addEventListener('click', async () => {
    if (!room) return;
    const d = digit.value;
    await room.localParticipant.publishDtmf(DTMF_CODE[d] ?? Number(d), d);
    show('caller', `dtmf-${Date.now()}`, `[key ${d}]`, true);
  });
  return () => {};  // the call goes on while other views are shown; Hang up ends it
}
