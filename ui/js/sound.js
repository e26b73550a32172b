// The notification sound: a short two-note chime made with the Web Audio
// API, so there is no audio file to download, cache or serve. Browsers
// start audio only after the person has used the page; a chime asked for
// before that is simply not heard.

let context = null;

/** Plays the chime; returns false where the browser has no Web Audio. */
export function chime() {
  const Context = window.AudioContext ?? window.webkitAudioContext;
  if (!Context) return false;
  try {
    context ??= new Context();
    if (context.state === "suspended") context.resume().catch(() => {});
    const start = context.currentTime + 0.01;
    // Two soft sine notes a fifth apart (A5, E6), each fading out quickly.
    [[880, 0], [1318.5, 0.12]].forEach(([frequency, delay]) => {
      const note = context.createOscillator();
      const envelope = context.createGain();
      note.type = "sine";
      note.frequency.value = frequency;
      envelope.gain.setValueAtTime(0.0001, start + delay);
      envelope.gain.exponentialRampToValueAtTime(0.2, start + delay + 0.02);
      envelope.gain.exponentialRampToValueAtTime(0.0001, start + delay + 0.3);
      note.connect(envelope).connect(context.destination);
      note.start(start + delay);
      note.stop(start + delay + 0.32);
    });
    return true;
  } catch {
    return false; // a sound is a courtesy, never a reason to break message handling
  }
}
