'use strict';
// The old NestJS backend's entities, as EntitySchema (no decorators, no build step).
// Table and column names are the legacy ones: prosumer, prosumer_id, buyer_prosumer_id...
// Columns are those of the real database (docs/reference/upstream-schema-before-rename.sql): like the
// upstream's entities, timestamps are plain columns that the backend sets itself (the tables have
// no default for them), and so are wallet.import_method and wallet.is_active.
// Table names are unqualified, so PostgreSQL resolves them through search_path
// (enerlink_prosumer,public when COMPAT_SCHEMA is set).
const { EntitySchema } = require('typeorm');

const Prosumer = new EntitySchema({
  name: 'Prosumer',
  tableName: 'prosumer',
  columns: {
    prosumer_id: { type: 'varchar', primary: true },
    email: { type: 'varchar' },
    password_hash: { type: 'varchar' },
    name: { type: 'varchar', nullable: true },
    created_at: { type: 'timestamp' },
    updated_at: { type: 'timestamp' },
    primary_wallet_address: { type: 'varchar', nullable: true },
  },
  relations: {
    wallets: { type: 'one-to-many', target: 'Wallet', inverseSide: 'prosumer' },
    meters: { type: 'one-to-many', target: 'SmartMeter', inverseSide: 'prosumer' },
  },
});

const Wallet = new EntitySchema({
  name: 'Wallet',
  tableName: 'wallet',
  columns: {
    wallet_address: { type: 'varchar', primary: true },
    prosumer_id: { type: 'varchar' },
    wallet_name: { type: 'varchar', nullable: true },
    encrypted_private_key: { type: 'varchar', nullable: true, select: false },
    created_at: { type: 'timestamp' },
    import_method: { type: 'varchar' },
    is_active: { type: 'boolean' },
    last_used_at: { type: 'timestamp', nullable: true },
  },
  relations: {
    prosumer: {
      type: 'many-to-one',
      target: 'Prosumer',
      inverseSide: 'wallets',
      joinColumn: { name: 'prosumer_id', referencedColumnName: 'prosumer_id' },
    },
  },
});

const SmartMeter = new EntitySchema({
  name: 'SmartMeter',
  tableName: 'smart_meter',
  columns: {
    meter_id: { type: 'varchar', primary: true },
    prosumer_id: { type: 'varchar' },
    meter_blockchain_address: { type: 'varchar', nullable: true },
    location: { type: 'varchar', nullable: true },
    status: { type: 'varchar', nullable: true },
    created_at: { type: 'timestamp' },
    last_seen: { type: 'timestamp', nullable: true },
    updated_at: { type: 'timestamp' },
    settlement_interval_minutes: { type: 'int', nullable: true },
    mqtt_topic_realtime: { type: 'varchar', nullable: true },
    mqtt_topic_settlement: { type: 'varchar', nullable: true },
    firmware_version: { type: 'varchar', nullable: true },
    last_settlement_at: { type: 'timestamp', nullable: true },
    device_configuration: { type: 'varchar', nullable: true },
    last_heartbeat_at: { type: 'timestamp', nullable: true },
    device_model: { type: 'varchar', nullable: true },
    device_version: { type: 'varchar', nullable: true },
    capabilities: { type: 'varchar', nullable: true },
  },
  relations: {
    prosumer: {
      type: 'many-to-one',
      target: 'Prosumer',
      inverseSide: 'meters',
      joinColumn: { name: 'prosumer_id', referencedColumnName: 'prosumer_id' },
    },
  },
});

const TransactionLog = new EntitySchema({
  name: 'TransactionLog',
  tableName: 'transaction_log',
  columns: {
    log_id: { type: 'int', primary: true, generated: 'increment' },
    prosumer_id: { type: 'varchar' },
    related_order_id: { type: 'varchar', nullable: true },
    related_settlement_id: { type: 'int', nullable: true },
    transaction_type: { type: 'varchar' },
    description: { type: 'varchar', nullable: true },
    amount_primary: { type: 'numeric' },
    amount_secondary: { type: 'numeric', nullable: true },
    currency_primary: { type: 'varchar' },
    currency_secondary: { type: 'varchar', nullable: true },
    blockchain_tx_hash: { type: 'varchar', nullable: true },
    transaction_timestamp: { type: 'timestamp' },
  },
  relations: {
    prosumer: {
      type: 'many-to-one',
      target: 'Prosumer',
      joinColumn: { name: 'prosumer_id', referencedColumnName: 'prosumer_id' },
    },
  },
});

const MarketTrade = new EntitySchema({
  name: 'MarketTrade',
  tableName: 'market_trade',
  columns: {
    trade_id: { type: 'int', primary: true, generated: 'increment' },
    buyer_order_id: { type: 'varchar' },
    seller_order_id: { type: 'varchar' },
    buyer_prosumer_id: { type: 'varchar' },
    seller_prosumer_id: { type: 'varchar' },
    buyer_wallet_address: { type: 'varchar' },
    seller_wallet_address: { type: 'varchar' },
    traded_etk_amount: { type: 'numeric' },
    price_idrs_per_etk: { type: 'numeric' },
    total_idrs_value: { type: 'numeric' },
    gas_fee_wei: { type: 'numeric', nullable: true },
    blockchain_tx_hash: { type: 'varchar', nullable: true },
    trade_timestamp: { type: 'timestamp' },
    created_at: { type: 'timestamp' },
  },
  relations: {
    buyer: {
      type: 'many-to-one',
      target: 'Prosumer',
      joinColumn: { name: 'buyer_prosumer_id', referencedColumnName: 'prosumer_id' },
    },
    seller: {
      type: 'many-to-one',
      target: 'Prosumer',
      joinColumn: { name: 'seller_prosumer_id', referencedColumnName: 'prosumer_id' },
    },
  },
});

module.exports = { Prosumer, Wallet, SmartMeter, TransactionLog, MarketTrade };
