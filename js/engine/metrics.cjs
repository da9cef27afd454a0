// @ts-check
// In-process counters and gauges, rendered in the Prometheus text format for GET /metrics. Labels
// are codes and states only (never message content).
'use strict';

/**
 * @typedef {{
 *   inc(name: string, labels?: Record<string, string>, by?: number): void,
 *   set(name: string, labels: Record<string, string>, value: number): void,
 *   observe(name: string, seconds: number): void,
 *   get(name: string, labels?: Record<string, string>): number,
 *   render(extra?: string): string,
 * }} Metrics
 */

const HELP = {
  ehr_bridge_messages_total: ['counter', 'Inbound messages by outcome (queued, duplicate, skipped, rejected, failed, oversized)'],
  ehr_bridge_acks_total: ['counter', 'ACKs built, by MSA-1 code'],
  ehr_bridge_mllp_connections: ['gauge', 'Open MLLP connections'],
  ehr_bridge_mllp_connections_total: ['counter', 'MLLP connections accepted'],
  ehr_bridge_mllp_noise_bytes_total: ['counter', 'Bytes received outside MLLP frames (dropped)'],
  ehr_bridge_attempts_total: ['counter', 'Job attempts by kind and result code'],
  ehr_bridge_jobs: ['gauge', 'Jobs in the store by kind and state'],
  ehr_bridge_commit_seconds: ['summary', 'Store commit time of an intake batch'],
  ehr_bridge_replies_total: ['counter', 'Studio replies received on the IE endpoint, by result code'],
};

/** @param {Record<string, string>} labels */
function key(labels) {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, '_')}"`)
    .join(',');
}

/** @returns {Metrics} */
function createMetrics() {
  /** @type {Map<string, Map<string, number>>} */
  const values = new Map();
  /** @type {Map<string, { count: number, sum: number }>} */
  const summaries = new Map();
  /** @param {string} name */
  const series = (name) => {
    let m = values.get(name);
    if (!m) values.set(name, (m = new Map()));
    return m;
  };
  return {
    inc(name, labels = {}, by = 1) {
      const m = series(name);
      const k = key(labels);
      m.set(k, (m.get(k) ?? 0) + by);
    },
    set(name, labels, value) {
      series(name).set(key(labels), value);
    },
    observe(name, seconds) {
      const s = summaries.get(name) ?? { count: 0, sum: 0 };
      s.count += 1;
      s.sum += seconds;
      summaries.set(name, s);
    },
    get(name, labels = {}) {
      return values.get(name)?.get(key(labels)) ?? 0;
    },
    render(extra = '') {
      const lines = [];
      for (const [name, m] of [...values.entries()].sort()) {
        const [type, help] = /** @type {Record<string, string[]>} */ (HELP)[name] ?? ['untyped', name];
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
        for (const [k, v] of [...m.entries()].sort()) lines.push(`${name}${k ? `{${k}}` : ''} ${v}`);
      }
      for (const [name, s] of [...summaries.entries()].sort()) {
        const [, help] = /** @type {Record<string, string[]>} */ (HELP)[name] ?? ['summary', name];
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} summary`, `${name}_count ${s.count}`, `${name}_sum ${s.sum.toFixed(6)}`);
      }
      return `${lines.join('\n')}\n${extra}`;
    },
  };
}

module.exports = { createMetrics };
