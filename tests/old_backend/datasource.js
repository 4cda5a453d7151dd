'use strict';
// Builds the old backend's TypeORM DataSource from the environment.
//
//   DATABASE_URL     postgres://user:pass@host:port/db   (required)
//   COMPAT_SCHEMA    e.g. enerlink_prosumer (optional). When set, every pooled
//                    connection starts with search_path=<COMPAT_SCHEMA>,public, sent in
//                    the startup packet through pg's `options` (`-c search_path=...`).
//   COMPAT_VIA       search_path (default) | typeorm_schema. typeorm_schema instead sets
//                    TypeORM's own `schema` option, which schema-qualifies every table
//                    name in the SQL it writes ("enerlink_prosumer"."prosumer"); kept
//                    only to compare the two (see /work/old_backend_notes.md).
//   APPLICATION_NAME defaults to enerlink-old-backend (pg_stat_activity.application_name).
//   TYPEORM_LOGGING  1 to log every SQL statement to stderr.
const { DataSource } = require('typeorm');
const entities = require('./entities');

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

class StderrLogger {
  logQuery(query, parameters) {
    process.stderr.write(`[sql] ${query}${parameters && parameters.length ? ' -- ' + JSON.stringify(parameters) : ''}\n`);
  }
  logQueryError(error, query, parameters) {
    process.stderr.write(`[sql-error] ${error && error.message} :: ${query}${parameters && parameters.length ? ' -- ' + JSON.stringify(parameters) : ''}\n`);
  }
  logQuerySlow(time, query) {
    process.stderr.write(`[sql-slow ${time}ms] ${query}\n`);
  }
  logSchemaBuild(message) {
    process.stderr.write(`[schema] ${message}\n`);
  }
  logMigration(message) {
    process.stderr.write(`[migration] ${message}\n`);
  }
  log(level, message) {
    process.stderr.write(`[${level}] ${message}\n`);
  }
}

function connectionSettings(env = process.env) {
  const url = env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const compatSchema = env.COMPAT_SCHEMA || '';
  const via = env.COMPAT_VIA || 'search_path';
  if (compatSchema && !IDENT.test(compatSchema)) {
    throw new Error(`COMPAT_SCHEMA must be a plain identifier, got ${JSON.stringify(compatSchema)}`);
  }
  if (!['search_path', 'typeorm_schema'].includes(via)) {
    throw new Error(`COMPAT_VIA must be search_path or typeorm_schema, got ${JSON.stringify(via)}`);
  }
  return {
    url,
    compatSchema,
    via,
    applicationName: env.APPLICATION_NAME || 'enerlink-old-backend',
    logging: env.TYPEORM_LOGGING === '1' || env.TYPEORM_LOGGING === 'true',
    poolSize: Number(env.POOL_SIZE || 4),
  };
}

function buildDataSource(settings = connectionSettings()) {
  const extra = {};
  const options = {
    type: 'postgres',
    url: settings.url,
    // TypeORM passes this to pg as `application_name` (startup parameter).
    applicationName: settings.applicationName,
    entities: Object.values(entities),
    synchronize: false,
    migrationsRun: false,
    migrations: [],
    poolSize: settings.poolSize,
    logging: settings.logging,
    logger: settings.logging ? new StderrLogger() : undefined,
    extra,
  };
  if (settings.compatSchema) {
    if (settings.via === 'search_path') {
      // pg sends `options` in the startup packet; the server applies -c settings
      // before the first query, on every connection of the pool.
      extra.options = `-c search_path=${settings.compatSchema},public`;
    } else {
      options.schema = settings.compatSchema;
    }
  }
  return new DataSource(options);
}

module.exports = { buildDataSource, connectionSettings, entities };
