/**
 * The console's sounds, synthesised with Web Audio (oscillators and gain envelopes; nothing
 * recorded, nothing copied), and the browser's autoplay rule: an AudioContext may stay suspended
 * until the person interacts with the page. The player then says so (`onBlocked`) instead of
 * failing silently, and the first click or key press anywhere unlocks it.
 *
 * Every play is also logged (`sound played: <name>` / `sound blocked: <name>`), which is what the
 * browser tests listen to.
 */

/** One tone: frequency (Hz) gliding to `to`, starting at `at` (s) for `length` (s). */
interface Tone {
  hz: number;
  to?: number;
  at: number;
  length: number;
  wave?: OscillatorType;
  gain?: number;
}

const SOUNDS: Record<string, Tone[]> = {
  'new-chat': [
    { hz: 660, at: 0, length: 0.14 },
    { hz: 880, at: 0.15, length: 0.22 },
  ],
  message: [{ hz: 880, at: 0, length: 0.12, wave: 'triangle' }],
  'message-sent': [{ hz: 520, to: 620, at: 0, length: 0.1, gain: 0.15 }],
  presence: [{ hz: 440, at: 0, length: 0.2, gain: 0.15 }],
  'chat-activity': [
    { hz: 523, at: 0, length: 0.08 },
    { hz: 659, at: 0.09, length: 0.08 },
    { hz: 784, at: 0.18, length: 0.12 },
  ],
  'offline-message': [
    { hz: 784, at: 0, length: 0.14 },
    { hz: 523, at: 0.15, length: 0.24 },
  ],
  chime: [
    { hz: 1046, at: 0, length: 0.6, gain: 0.2 },
    { hz: 1318, at: 0.12, length: 0.7, gain: 0.15 },
  ],
  bell: [
    { hz: 880, at: 0, length: 0.9, gain: 0.25 },
    { hz: 1760, at: 0, length: 0.5, gain: 0.08 },
    { hz: 2640, at: 0, length: 0.3, gain: 0.04 },
  ],
  pop: [{ hz: 1200, to: 300, at: 0, length: 0.07 }],
  knock: [
    { hz: 180, to: 120, at: 0, length: 0.06, wave: 'triangle', gain: 0.5 },
    { hz: 180, to: 120, at: 0.16, length: 0.06, wave: 'triangle', gain: 0.5 },
  ],
};

export const SOUND_NAMES = Object.keys(SOUNDS);

export interface SoundPlayer {
  /** Plays `name` (an unknown name plays `message`); resolves whether it was heard. */
  play(name: string): Promise<boolean>;
  /** Whether the browser lets the page play sound now. */
  isBlocked(): boolean;
  /** Finds out at once whether sound is blocked (the header then says so before anything rings). */
  probe(): void;
}

/** How long a sound may wait for the audio output to start before it counts as blocked. */
const START_MS = 4000;

/** True while the page has had no click or key press: what Chrome's autoplay rule waits for. */
const neverActivated = () => navigator.userActivation !== undefined && !navigator.userActivation.hasBeenActive;

export function createSoundPlayer(onBlockedChange: (blocked: boolean) => void): SoundPlayer {
  let context: AudioContext | null = null;
  let blocked = false;
  const setBlocked = (value: boolean) => {
    if (blocked === value) return;
    blocked = value;
    onBlockedChange(value);
  };
  const contextNow = () => {
    if (context === null) {
      context = new AudioContext();
      // Starting the audio output may take a while (resume() stays pending meanwhile): running later clears the block.
      context.onstatechange = () => {
        if (context?.state === 'running') setBlocked(false);
      };
    }
    return context;
  };
  /**
   * Asks the context to run; resolves whether it runs within `ms`. Starting the audio output can
   * take seconds on a busy machine, and nothing tells that apart from an autoplay block but time.
   */
  const running = async (ms: number) => {
    const audio = contextNow();
    if (audio.state !== 'running') await Promise.race([audio.resume(), new Promise((resolve) => setTimeout(resolve, ms))]);
    return audio.state === 'running';
  };
  // A user gesture is what the autoplay rule waits for: resume on the first one (and on every one while blocked).
  const unlock = () => void running(1000).then((ok) => ok && setBlocked(false));
  for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, unlock, { capture: true });

  return {
    isBlocked: () => blocked,
    probe() {
      void running(START_MS).then((ok) => setBlocked(!ok && neverActivated()));
    },
    async play(name) {
      if (!(await running(START_MS))) {
        // Suspended without any interaction yet: the autoplay rule. Say so, rather than fail silently.
        setBlocked(neverActivated() || blocked);
        console.info(`sound blocked: ${name}`);
        return false;
      }
      setBlocked(false);
      const audio = contextNow();
      const start = audio.currentTime + 0.01;
      for (const tone of SOUNDS[name] ?? SOUNDS.message ?? []) {
        const oscillator = audio.createOscillator();
        const envelope = audio.createGain();
        oscillator.type = tone.wave ?? 'sine';
        oscillator.frequency.setValueAtTime(tone.hz, start + tone.at);
        if (tone.to !== undefined) oscillator.frequency.exponentialRampToValueAtTime(tone.to, start + tone.at + tone.length);
        envelope.gain.setValueAtTime(0.0001, start + tone.at);
        envelope.gain.exponentialRampToValueAtTime(tone.gain ?? 0.3, start + tone.at + 0.01);
        envelope.gain.exponentialRampToValueAtTime(0.0001, start + tone.at + tone.length);
        oscillator.connect(envelope).connect(audio.destination);
        oscillator.start(start + tone.at);
        oscillator.stop(start + tone.at + tone.length + 0.02);
      }
      console.info(`sound played: ${name}`);
      return true;
    },
  };
}
