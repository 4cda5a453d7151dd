#!/usr/bin/env node
'use strict';
// The old EnerLink backend's normal work, in a loop, through TypeORM 0.3 + pg.
// See README.md for usage, environment and output format.
const crypto = require('crypto');
const { buildDataSource, connectionSettings } = require('./datasource');

const argv = process.argv.slice(2);
function argValue(name) {
  const i = argv.indexOf(name);
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  const pref = argv.find((a) => a.startsWith(name + '='));
  return pref ? pref.slice(name.length + 1) : undefined;
}
const truthy = (v) => v === '1' || v === 'true' || v === 'yes';

const ONCE = argv.includes('--once') || truthy(process.env.ONCE || '');
const STRICT = argv.includes('--strict') || truthy(process.env.STRICT || '');
const DURATION_S = Number(argValue('--duration') ?? process.env.DURATION_SECONDS ?? 10);
const PROGRESS_MS = Number(argValue('--progress-ms') ?? process.env.PROGRESS_INTERVAL_MS ?? 1000);
const PAUSE_MS = Number(argValue('--pause-ms') ?? process.env.ITERATION_PAUSE_MS ?? 0);
const MAX_ITERATIONS = Number(argValue('--iterations') ?? process.env.MAX_ITERATIONS ?? 0);
// Operations at least this slow are reported one by one ("slow" events), so that a caller can tell
// how long the client stalled in a given window (e.g. while the rename held its locks). 0: off.
const SLOW_MS = Number(argValue('--slow-ms') ?? process.env.SLOW_MS ?? 0);
const RUN_ID = process.env.RUN_ID || `ob${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;

const OP_KINDS = [
  'create_prosumer', // prosumer + wallet + meter + meter to delete, one transaction
  'append_logs', // multi-row insert of transaction_log (serial + DEFAULT now())
  'read_prosumer', // findOne with relations wallets + meters (LEFT JOINs)
  'update_wallet', // UPDATE wallet SET wallet_name, last_used_at
  'upsert_counterparty', // INSERT ... ON CONFLICT (prosumer_id) / (wallet_address) DO UPDATE
  'record_trade', // insert market_trade between two prosumers
  'delete_meter', // DELETE FROM smart_meter
];

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function pgError(err) {
  // node-postgres DatabaseError fields; TypeORM wraps it in QueryFailedError with
  // the same fields copied, plus driverError.
  const e = err && err.driverError ? err.driverError : err;
  const out = {
    message: (e && e.message) || String(err),
    code: e && e.code,
    severity: e && e.severity,
    detail: e && e.detail,
    hint: e && e.hint,
    schema: e && e.schema,
    table: e && e.table,
    column: e && e.column,
    constraint: e && e.constraint,
    routine: e && e.routine,
    name: err && err.name,
  };
  if (err && err.query) out.query = err.query;
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

const stats = {};
for (const k of OP_KINDS) stats[k] = { ok: 0, failed: 0, max_ms: 0 };
const maxLatency = { ms: 0, op: null, at: null, iteration: null };
const rows = { prosumer_ids: [], wallet_addresses: [], meter_ids: [], log_ids: [], trade_ids: [] };
const deleted = { meter_ids: [] };
const failures = [];
let iteration = 0;
let stopReason = null;

async function timed(kind, fn) {
  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  let ok = true;
  let error = null;
  try {
    await fn();
  } catch (err) {
    ok = false;
    error = err;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const s = stats[kind];
  s.max_ms = Math.max(s.max_ms, ms);
  if (ms > maxLatency.ms) {
    maxLatency.ms = ms;
    maxLatency.op = kind;
    maxLatency.at = startedAt.toISOString();
    maxLatency.iteration = iteration;
  }
  if (SLOW_MS > 0 && ms >= SLOW_MS) {
    emit({ event: 'slow', run_id: RUN_ID, op: kind, iteration, at: startedAt.toISOString(), latency_ms: round(ms), ok });
  }
  if (ok) {
    s.ok += 1;
  } else {
    s.failed += 1;
    const line = {
      event: 'failure',
      run_id: RUN_ID,
      op: kind,
      iteration,
      at: startedAt.toISOString(),
      latency_ms: round(ms),
      error: pgError(error),
    };
    failures.push(line);
    emit(line);
    if (ONCE) {
      const e = line.error;
      process.stderr.write(`${kind} failed: ${e.severity || 'ERROR'}${e.code ? ' ' + e.code : ''}: ${e.message}\n`);
    }
  }
  return ok;
}

const round = (x) => Math.round(x * 1000) / 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runIteration(ds, state) {
  iteration += 1;
  const i = iteration;
  const pid = `${RUN_ID}-p${i}`;
  const wallet = `0x${RUN_ID}w${i}`;
  const meterKeep = `${RUN_ID}-m${i}`;
  const meterDrop = `${RUN_ID}-m${i}x`;
  const prosumers = ds.getRepository('Prosumer');
  const wallets = ds.getRepository('Wallet');
  const meters = ds.getRepository('SmartMeter');
  const logs = ds.getRepository('TransactionLog');
  const trades = ds.getRepository('MarketTrade');
  let created = false;

  // 1. Register a prosumer with a wallet and two meters, in one transaction. The real tables have no
  // default for the timestamps, import_method or is_active: the backend sets them, as the upstream's did.
  if (stopReason) return;
  const now = new Date();
  await timed('create_prosumer', async () => {
    await ds.transaction(async (m) => {
      const p = await m.save('Prosumer', {
        prosumer_id: pid,
        email: `${pid}@old-backend.test`,
        password_hash: '$2b$10$' + crypto.randomBytes(20).toString('hex').slice(0, 53),
        name: `Old backend ${i}`,
        created_at: now,
        updated_at: now,
      });
      if (!p.created_at || !p.updated_at) throw new Error('RETURNING did not give created_at/updated_at');
      const w = await m.save('Wallet', {
        wallet_address: wallet,
        prosumer_id: pid,
        wallet_name: 'Main',
        encrypted_private_key: 'enc:v1:' + crypto.randomBytes(8).toString('hex'),
        created_at: now,
        import_method: 'GENERATED',
        is_active: true,
      });
      if (w.import_method !== 'GENERATED' || w.is_active !== true) {
        throw new Error(`wallet not saved: ${JSON.stringify({ import_method: w.import_method, is_active: w.is_active })}`);
      }
      await m.save('SmartMeter', [
        {
          meter_id: meterKeep,
          prosumer_id: pid,
          status: 'ACTIVE',
          location: 'roof',
          settlement_interval_minutes: 5,
          mqtt_topic_realtime: `enerlink/meters/${meterKeep}/sensors`,
          device_model: 'ESP32',
          created_at: now,
          updated_at: now,
        },
        { meter_id: meterDrop, prosumer_id: pid, status: 'PENDING', created_at: now, updated_at: now },
      ]);
      await m.update('Prosumer', { prosumer_id: pid }, { primary_wallet_address: wallet });
    });
    created = true;
    rows.prosumer_ids.push(pid);
    rows.wallet_addresses.push(wallet);
    rows.meter_ids.push(meterKeep, meterDrop);
  });
  if (!created) return;

  // 2. Append transaction logs (multi-row INSERT, log_id from its sequence).
  if (stopReason) return;
  await timed('append_logs', async () => {
    const at = new Date();
    const saved = await logs.save([
      { prosumer_id: pid, transaction_type: 'WALLET_CREATED', amount_primary: '0', currency_primary: 'ETK', transaction_timestamp: at },
      {
        prosumer_id: pid,
        transaction_type: 'IDRS_CONVERSION',
        amount_primary: '1.25',
        currency_primary: 'ETK',
        amount_secondary: '18750',
        currency_secondary: 'IDRS',
        description: `iteration ${i}`,
        transaction_timestamp: at,
      },
    ]);
    for (const l of saved) {
      if (!Number.isInteger(l.log_id) || !l.transaction_timestamp) throw new Error(`RETURNING gave ${JSON.stringify(l)}`);
      rows.log_ids.push(l.log_id);
    }
  });

  // 3. Read the prosumer with wallets and meters (one query with LEFT JOINs).
  if (stopReason) return;
  await timed('read_prosumer', async () => {
    const p = await prosumers.findOne({ where: { prosumer_id: pid }, relations: { wallets: true, meters: true } });
    if (!p) throw new Error(`prosumer ${pid} not found`);
    if (!p.wallets.some((w) => w.wallet_address === wallet)) throw new Error(`wallet ${wallet} missing from relation`);
    if (p.primary_wallet_address !== wallet) throw new Error('primary_wallet_address not updated');
  });

  // 4. Update the wallet.
  if (stopReason) return;
  await timed('update_wallet', async () => {
    const r = await wallets.update({ wallet_address: wallet }, { wallet_name: `Main (used ${i})`, last_used_at: new Date() });
    if (r.affected !== 1) throw new Error(`update affected ${r.affected} rows`);
  });

  // 5. Upsert the run's counterparty prosumer and wallet (INSERT ... ON CONFLICT DO UPDATE).
  if (stopReason) return;
  const cpId = `${RUN_ID}-cp`;
  const cpWallet = `0x${RUN_ID}cpw`;
  await timed('upsert_counterparty', async () => {
    const at = new Date();
    await prosumers.upsert(
      {
        prosumer_id: cpId,
        email: `${cpId}@old-backend.test`,
        password_hash: '$2b$10$counterparty',
        name: `Counterparty (iteration ${i})`,
        created_at: at,
        updated_at: at,
      },
      ['prosumer_id'],
    );
    if (!state.cpRecorded) {
      state.cpRecorded = true;
      rows.prosumer_ids.push(cpId);
    }
    await wallets.upsert(
      { wallet_address: cpWallet, prosumer_id: cpId, wallet_name: `cp ${i}`, created_at: at, import_method: 'GENERATED', is_active: true },
      ['wallet_address'],
    );
    if (!state.cpWalletRecorded) {
      state.cpWalletRecorded = true;
      rows.wallet_addresses.push(cpWallet);
    }
  });

  // 6. Record a market trade between the two prosumers.
  if (stopReason) return;
  await timed('record_trade', async () => {
    const t = await trades.save({
      buyer_order_id: `${RUN_ID}-ob${i}`,
      seller_order_id: `${RUN_ID}-os${i}`,
      buyer_prosumer_id: pid,
      seller_prosumer_id: cpId,
      buyer_wallet_address: wallet,
      seller_wallet_address: cpWallet,
      traded_etk_amount: '2.5',
      price_idrs_per_etk: '1500',
      total_idrs_value: '3750',
      gas_fee_wei: '21000000000000',
      trade_timestamp: new Date(),
      created_at: new Date(),
    });
    if (!Number.isInteger(t.trade_id)) throw new Error(`RETURNING gave trade_id ${t.trade_id}`);
    rows.trade_ids.push(t.trade_id);
  });

  // 7. Delete one of the prosumer's meters.
  if (stopReason) return;
  await timed('delete_meter', async () => {
    const r = await meters.delete({ meter_id: meterDrop });
    if (r.affected !== 1) throw new Error(`delete affected ${r.affected} rows`);
    rows.meter_ids.splice(rows.meter_ids.indexOf(meterDrop), 1);
    deleted.meter_ids.push(meterDrop);
  });
}

function totals() {
  let ok = 0;
  let failed = 0;
  for (const k of OP_KINDS) {
    ok += stats[k].ok;
    failed += stats[k].failed;
  }
  return { ok, failed };
}

async function main() {
  let settings;
  try {
    settings = connectionSettings();
  } catch (err) {
    emit({ event: 'fatal', run_id: RUN_ID, error: { message: err.message } });
    process.exit(2);
  }
  const startedAt = new Date();
  const t0 = Date.now();
  const onSignal = (sig) => {
    if (!stopReason) stopReason = sig;
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  const ds = buildDataSource(settings);
  try {
    await ds.initialize();
  } catch (err) {
    emit({ event: 'fatal', run_id: RUN_ID, phase: 'initialize', error: pgError(err) });
    process.stderr.write(`initialize failed: ${pgError(err).message}\n`);
    process.exit(2);
  }
  let session = {};
  try {
    const [r] = await ds.query(
      "SELECT current_setting('search_path') AS search_path, current_schema() AS current_schema, " +
        "current_setting('application_name') AS application_name, pg_backend_pid() AS backend_pid, " +
        "current_setting('server_version') AS server_version",
    );
    session = r;
  } catch (err) {
    session = { error: pgError(err) };
  }
  emit({
    event: 'start',
    run_id: RUN_ID,
    mode: ONCE ? 'once' : 'loop',
    compat_schema: settings.compatSchema || null,
    compat_via: settings.compatSchema ? settings.via : null,
    typeorm_search_schema: ds.driver.searchSchema,
    session,
    at: startedAt.toISOString(),
  });

  const progress = ONCE
    ? null
    : setInterval(() => {
        emit({ event: 'progress', run_id: RUN_ID, elapsed_ms: Date.now() - t0, iterations: iteration, ...totals() });
      }, PROGRESS_MS);

  const state = {};
  const deadline = t0 + DURATION_S * 1000;
  while (!stopReason) {
    await runIteration(ds, state);
    if (ONCE) {
      stopReason = stopReason || 'once';
      break;
    }
    if (MAX_ITERATIONS && iteration >= MAX_ITERATIONS) stopReason = stopReason || 'iterations';
    if (Date.now() >= deadline) stopReason = stopReason || 'duration';
    if (!stopReason && PAUSE_MS > 0) await sleep(PAUSE_MS);
  }
  if (progress) clearInterval(progress);
  try {
    await ds.destroy();
  } catch (_) {
    // pool already broken: the summary still matters more
  }
  const finishedAt = new Date();
  const tot = totals();
  emit({
    event: 'summary',
    run_id: RUN_ID,
    mode: ONCE ? 'once' : 'loop',
    compat_schema: settings.compatSchema || null,
    stop_reason: stopReason,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_ms: finishedAt - startedAt,
    iterations: iteration,
    ok: tot.ok,
    failed: tot.failed,
    ops: Object.fromEntries(OP_KINDS.map((k) => [k, { ...stats[k], max_ms: round(stats[k].max_ms) }])),
    max_latency: { ...maxLatency, ms: round(maxLatency.ms) },
    rows,
    deleted,
    failure_codes: [...new Set(failures.map((f) => f.error.code).filter(Boolean))],
  });
  if ((ONCE || STRICT) && tot.failed > 0) process.exitCode = 1;
}

main().catch((err) => {
  emit({ event: 'fatal', run_id: RUN_ID, error: pgError(err), stack: err && err.stack });
  process.exit(2);
});
