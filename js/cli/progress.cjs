// @ts-check
// The progress line of `map` over many messages: on standard error, only when it is a terminal
// (never into a pipe or a file), redrawn at most 10 times a second, with the rate and an ETA.
// Counts only — never a value from the messages (PHI) and not even a file name.
'use strict';

/**
 * @typedef {{ bytes: number, messages: number, events: number, skips: number, errors: number,
 *   sent: number, queued: number, sending: boolean }} Counters
 */

/** `1.5 MB`. @param {number} n */
function size(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** `1:05` / `1:02:03`. @param {number} s */
function clock(s) {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * @param {{ stream: NodeJS.WriteStream, enabled: boolean, totalBytes: number | null, files: number,
 *   counters: () => Counters & { file: number }, now?: () => number }} o
 */
function createProgress(o) {
  const now = o.now ?? Date.now;
  const started = now();
  /** Samples for the recent rates: [time, messages, bytes, sent]. @type {[number, number, number, number][]} */
  const samples = [];
  let c = o.counters();
  let drawn = false;
  /** @type {NodeJS.Timeout | null} */
  let timer = null;

  /** Rate per second over the last ~5 s. @param {number} i index in a sample */
  function rate(i) {
    const t = now();
    while (samples.length > 1 && t - samples[0][0] > 5000) samples.shift();
    const s = samples[0];
    const last = [t, c.messages, c.bytes, c.sent];
    const dt = (t - (s ? s[0] : started)) / 1000;
    return dt > 0.2 ? (last[i] - (s ? s[i] : 0)) / dt : 0;
  }

  function line() {
    const parts = [];
    const elapsed = (now() - started) / 1000;
    const mps = rate(1);
    const bps = rate(2);
    let eta = null;
    if (o.totalBytes) {
      const frac = Math.min(1, c.bytes / o.totalBytes);
      const width = 20;
      const full = Math.round(frac * width);
      parts.push(`[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.floor(frac * 100)).padStart(3)}%`);
      parts.push(`${size(c.bytes)}/${size(o.totalBytes)}`);
      if (bps > 0) eta = (o.totalBytes - c.bytes) / bps;
    } else {
      parts.push(size(c.bytes));
    }
    if (o.files > 1) parts.push(`file ${c.file}/${o.files}`);
    parts.push(`${c.messages} msgs`, `${Math.round(mps)}/s`);
    if (c.sending) {
      const sps = rate(3);
      parts.push(`sent ${c.sent}/${c.queued}`, `${sps.toFixed(1)}/s`);
      // Sending is usually the slower part: the events still to send, at the recent send rate.
      const frac = o.totalBytes ? Math.min(1, c.bytes / o.totalBytes) : 1;
      const expected = frac > 0 ? c.queued / frac : c.queued;
      if (sps > 0) eta = Math.max(eta ?? 0, (expected - c.sent) / sps);
    }
    parts.push(eta === null ? `${clock(elapsed)} elapsed` : `ETA ${clock(eta)}`);
    parts.push(`events ${c.events} skips ${c.skips} errors ${c.errors}`);
    const columns = o.stream.columns || 120;
    const text = parts.join('  ');
    return text.length >= columns ? text.slice(0, columns - 1) : text;
  }

  function draw() {
    if (!o.enabled) return;
    c = o.counters();
    samples.push([now(), c.messages, c.bytes, c.sent]);
    o.stream.write(`\r${line()}\x1b[K`);
    drawn = true;
  }

  return {
    /** Start redrawing (a no-op off a terminal). */
    start() {
      if (!o.enabled || timer) return;
      draw();
      timer = setInterval(draw, 100);
      timer.unref();
    },
    /** Write a line above the progress line. @param {string} text */
    log(text) {
      if (drawn) o.stream.write('\r\x1b[K');
      o.stream.write(`${text}\n`);
      if (drawn) draw();
    },
    /** Stop and erase the line. */
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      if (drawn) o.stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

module.exports = { createProgress, size };
