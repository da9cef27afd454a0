// @ts-check
// A ReminderStore (docs/twilio-functions.md, "Reminders") on Twilio Sync, through twilio-node.
// Storage only: what to create, update or cancel is the package's planReminders; whether a claimed
// reminder goes out is remindDue. Keys are the package's hashes (ak1-…, rm1-…): no PHI in keys;
// the snapshot (PHI) is in item data, as in PAM's own S3 state.
//
// Two Sync Maps:
//   <prefix>-appointments  key = appointment key; data = { v: 1, reminders: { [id]: entry } }
//                          the source of truth: every reminder of the appointment and its status
//   <prefix>-due           key = <13-digit due ms>_<id>; data = { v: 1, status, reminder, … }
//                          one item per pending or claimed reminder, so a scan in key order finds
//                          the due ones first
// Writes are compare-and-set on Sync revisions (If-Match): a reminder is claimed by one caller;
// a plan commits by writing the appointment item (a due item the appointment does not list as
// pending is an orphan and is removed when it comes due, never sent).
'use strict';

const crypto = require('node:crypto');

const DUE_KEY_DIGITS = 13;
const DAY_S = 86_400;

/** @param {number} ms @param {string} id */
function dueKey(ms, id) {
  return `${String(Math.max(0, Math.floor(ms))).padStart(DUE_KEY_DIGITS, '0')}_${id}`;
}

/** @param {unknown} e @param {number} status */
function isStatus(e, status) {
  return /** @type {any} */ (e)?.status === status;
}

/**
 * A store on Twilio Sync.
 * @param {{ client: any, serviceSid: string, prefix?: string, baseUrl?: string, pageSize?: number }} options
 *   `client`: twilio-node (e.g. `context.getTwilioClient()`); `serviceSid`: `IS…`; `prefix`: map names
 *   (default `ehr-bridge-reminders`); `baseUrl`: another Sync origin (a local fake in tests).
 */
function createSyncReminderStore(options) {
  const { client, serviceSid } = options;
  if (!client || typeof serviceSid !== 'string' || !/^IS[0-9a-f]{32}$/.test(serviceSid)) {
    const e = /** @type {Error & { code: string }} */ (new Error('createSyncReminderStore needs a twilio-node client and a Sync service SID (IS + 32 hex)'));
    e.name = 'EhrStudioBridgeError';
    e.code = 'CONFIG_SYNC';
    throw e;
  }
  const prefix = options.prefix ?? 'ehr-bridge-reminders';
  const pageSize = options.pageSize ?? 50;
  if (options.baseUrl) client.sync.baseUrl = options.baseUrl;
  const service = client.sync.v1.services(serviceSid);
  const names = { appointments: `${prefix}-appointments`, due: `${prefix}-due` };
  /** @type {Promise<void> | null} */
  let ready = null;

  /** Create the two maps once (an existing one is fine). */
  function ensureMaps() {
    ready ??= (async () => {
      for (const uniqueName of Object.values(names)) {
        try {
          await service.syncMaps(uniqueName).fetch();
        } catch (e) {
          if (!isStatus(e, 404)) throw e;
          try {
            await service.syncMaps.create({ uniqueName });
          } catch (e2) {
            if (!isStatus(e2, 409)) throw e2;
          }
        }
      }
    })().catch((e) => {
      ready = null;
      throw e;
    });
    return ready;
  }

  /** @param {'appointments' | 'due'} map */
  const items = (map) => service.syncMaps(names[map]).syncMapItems;

  /** @param {'appointments' | 'due'} map @param {string} key @returns {Promise<any | null>} */
  async function fetchItem(map, key) {
    try {
      return await items(map)(key).fetch();
    } catch (e) {
      if (isStatus(e, 404)) return null;
      throw e;
    }
  }

  /** Remove an item (a missing one, or one changed since `ifMatch`, is left alone). @param {'appointments' | 'due'} map @param {string} key @param {string} [ifMatch] */
  async function removeItem(map, key, ifMatch) {
    try {
      await items(map)(key).remove(ifMatch ? { ifMatch } : {});
    } catch (e) {
      if (!isStatus(e, 404) && !isStatus(e, 412)) throw e;
    }
  }

  /** Write an item whatever its state (update, else create). @param {'appointments' | 'due'} map @param {string} key @param {object} data @param {number} ttl */
  async function putItem(map, key, data, ttl) {
    try {
      return await items(map)(key).update({ data, itemTtl: ttl });
    } catch (e) {
      if (!isStatus(e, 404)) throw e;
    }
    try {
      return await items(map).create({ key, data, itemTtl: ttl });
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
      return items(map)(key).update({ data, itemTtl: ttl });
    }
  }

  /** Seconds an item lives: until `untilMs` plus a margin, at least a day. @param {number} untilMs @param {number} nowMs @param {number} marginDays */
  const ttlUntil = (untilMs, nowMs, marginDays) => Math.max(DAY_S, Math.ceil((untilMs - nowMs) / 1000) + marginDays * DAY_S);

  /**
   * Read-modify-write of an appointment item, retried on a concurrent change.
   * @param {string} key @param {(entries: Record<string, any>) => boolean} change returns false to write nothing @param {number} nowMs
   */
  async function updateAppointment(key, change, nowMs) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const item = await fetchItem('appointments', key);
      if (!item) return;
      const entries = { ...item.data.reminders };
      if (!change(entries)) return;
      try {
        await items('appointments')(key).update({ data: { v: 1, reminders: entries }, ifMatch: item.revision, itemTtl: appointmentTtl(entries, nowMs) });
        return;
      } catch (e) {
        if (!isStatus(e, 412)) throw e;
      }
    }
    throw Object.assign(new Error('the appointment item kept changing'), { name: 'EhrStudioBridgeError', code: 'REMINDER_STORE_CONFLICT' });
  }

  /** @param {Record<string, any>} entries @param {number} nowMs */
  function appointmentTtl(entries, nowMs) {
    const last = Math.max(nowMs, ...Object.values(entries).map((e) => Number(e.appointmentStartMs) || 0));
    return ttlUntil(last, nowMs, 30);
  }

  return {
    /** @param {string} appointmentKey */
    async load(appointmentKey) {
      await ensureMaps();
      const item = await fetchItem('appointments', appointmentKey);
      if (!item) return { reminders: [], version: null };
      const reminders = Object.entries(item.data.reminders ?? {}).map(([id, e]) => ({ id, ...e }));
      return { reminders, version: item.revision };
    },

    /** @param {any} plan @param {unknown} version @param {number} nowMs */
    async apply(plan, version, nowMs) {
      await ensureMaps();
      const key = plan.appointmentKey;
      const item = await fetchItem('appointments', key);
      if ((item?.revision ?? null) !== version) return false;
      /** @type {Record<string, any>} */
      const entries = { ...item?.data.reminders };
      /** @type {string[]} */
      const removeAfter = [];
      for (const r of plan.reminders) {
        const old = entries[r.id];
        if (old?.status === 'claimed' && old.claimUntilMs > nowMs) continue; // being sent right now
        if (r.action === 'create' || r.action === 'update') {
          const k = dueKey(r.dueAtMs, r.id);
          const { action: _a, code: _c, reason: _r, ...stored } = r;
          await putItem('due', k, { v: 1, status: 'pending', reminder: stored }, ttlUntil(r.notAfterMs, nowMs, 7));
          if (old?.dueKey && old.dueKey !== k) removeAfter.push(old.dueKey);
          entries[r.id] = { status: 'pending', dueKey: k, dueAtMs: r.dueAtMs, appointmentStartMs: r.appointmentStartMs, offset: r.offset, atMs: nowMs };
        } else if (r.action === 'cancel') {
          if (old?.dueKey) removeAfter.push(old.dueKey);
          entries[r.id] = { ...old, status: 'canceled', code: r.code, atMs: nowMs };
        } else if (r.action === 'skip') {
          entries[r.id] = { status: 'skipped', code: r.code, dueAtMs: r.dueAtMs, appointmentStartMs: r.appointmentStartMs, offset: r.offset, atMs: nowMs };
        }
      }
      const data = { v: 1, reminders: entries };
      const ttl = appointmentTtl(entries, nowMs);
      try {
        if (item) await items('appointments')(key).update({ data, ifMatch: item.revision, itemTtl: ttl });
        else await items('appointments').create({ key, data, itemTtl: ttl });
      } catch (e) {
        if (isStatus(e, 412) || isStatus(e, 409)) return false;
        throw e;
      }
      for (const k of removeAfter) await removeItem('due', k);
      return true;
    },

    /** @param {number} nowMs @param {number} limit @param {number} leaseMs */
    async claimDue(nowMs, limit, leaseMs) {
      await ensureMaps();
      /** @type {any[]} */
      const claimed = [];
      let page = await items('due').page({ order: 'asc', pageSize });
      for (;;) {
        for (const it of page.instances) {
          if (claimed.length >= limit || Number(it.key.slice(0, DUE_KEY_DIGITS)) > nowMs) return claimed;
          const d = it.data;
          const r = d.reminder;
          if (d.notBeforeMs > nowMs) continue;
          if (d.status === 'claimed') {
            if (d.claimUntilMs > nowMs) continue;
            // A sender took it and never said what happened: it may have been sent. At most once.
            await updateAppointment(r.appointmentKey, (entries) => {
              const e = entries[r.id];
              if (!e || e.dueKey !== it.key) return false;
              entries[r.id] = { ...e, status: 'failed', code: 'REMIND_OUTCOME_UNKNOWN', atMs: nowMs };
              return true;
            }, nowMs);
            await removeItem('due', it.key, it.revision);
            continue;
          }
          const token = crypto.randomUUID();
          let mine;
          try {
            mine = await items('due')(it.key).update({ data: { ...d, status: 'claimed', claimToken: token, claimUntilMs: nowMs + leaseMs }, ifMatch: it.revision });
          } catch (e) {
            if (isStatus(e, 412) || isStatus(e, 404)) continue; // another caller was first
            throw e;
          }
          // The appointment item decides: only a reminder it lists as pending at this key goes out.
          let listed = false;
          await updateAppointment(r.appointmentKey, (entries) => {
            const e = entries[r.id];
            listed = Boolean(e && e.status === 'pending' && e.dueKey === it.key);
            if (!listed) return false;
            entries[r.id] = { ...e, status: 'claimed', claimUntilMs: nowMs + leaseMs };
            return true;
          }, nowMs);
          if (!listed) {
            await removeItem('due', it.key, mine.revision);
            continue;
          }
          claimed.push({ ...r, claim: { key: it.key, revision: mine.revision, token } });
        }
        if (claimed.length >= limit || !page.nextPageUrl) return claimed;
        page = await page.nextPage();
        if (!page) return claimed;
      }
    },

    /** @param {any} claimed @param {{ status: string, code?: string, executionSid?: string }} outcome @param {number} nowMs */
    async finish(claimed, outcome, nowMs) {
      await updateAppointment(claimed.appointmentKey, (entries) => {
        const e = entries[claimed.id];
        if (!e) return false;
        entries[claimed.id] = {
          ...e,
          status: outcome.status,
          ...(outcome.code ? { code: outcome.code } : {}),
          ...(outcome.executionSid ? { executionSid: outcome.executionSid } : {}),
          claimUntilMs: undefined,
          atMs: nowMs,
        };
        return true;
      }, nowMs);
      await removeItem('due', claimed.claim.key, claimed.claim.revision);
    },

    /** @param {any} claimed @param {number} retryAtMs @param {number} nowMs */
    async release(claimed, retryAtMs, nowMs) {
      const it = await fetchItem('due', claimed.claim.key);
      if (!it || it.revision !== claimed.claim.revision) return;
      const { claimToken: _t, claimUntilMs: _u, ...rest } = it.data;
      try {
        await items('due')(claimed.claim.key).update({ data: { ...rest, status: 'pending', notBeforeMs: retryAtMs }, ifMatch: it.revision });
      } catch (e) {
        if (!isStatus(e, 412) && !isStatus(e, 404)) throw e;
        return;
      }
      await updateAppointment(claimed.appointmentKey, (entries) => {
        const e = entries[claimed.id];
        if (!e || e.status !== 'claimed') return false;
        entries[claimed.id] = { ...e, status: 'pending', claimUntilMs: undefined, atMs: nowMs };
        return true;
      }, nowMs);
    },
  };
}

module.exports = { createSyncReminderStore, dueKey };
