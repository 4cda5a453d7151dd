-- The guide's all-in-one script (../shared/reference/prosumer-to-user-guide.md,
-- "Complete Migration Script (All-in-One)"), copied verbatim so that tests and
-- benchmarks can reproduce exactly what it does to a real legacy database:
-- guessed DROP CONSTRAINT names that match nothing, ON DELETE CASCADE everywhere,
-- index drops and builds under ACCESS EXCLUSIVE locks, session_replication_role
-- (superuser only), and token_blacklist and trade_orders_cache left behind.
-- Do not "fix" this file: its flaws are what it is here to show.

-- PROSUMER TO USER MIGRATION SCRIPT
-- Date: November 2, 2025
-- WARNING: Test on staging first!

BEGIN;

-- Disable constraints temporarily
SET session_replication_role = 'replica';

-- Step 1: Rename main table and primary key
ALTER TABLE prosumer RENAME TO "user";
ALTER TABLE "user" RENAME COLUMN prosumer_id TO user_id;

-- Step 2: Update wallets
ALTER TABLE wallet RENAME COLUMN prosumer_id TO user_id;
ALTER TABLE wallet DROP CONSTRAINT IF EXISTS wallet_prosumer_id_fkey;
ALTER TABLE wallet ADD CONSTRAINT wallet_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES "user"(user_id) ON DELETE CASCADE;

-- Step 3: Update smart_meter
ALTER TABLE smart_meter RENAME COLUMN prosumer_id TO user_id;
ALTER TABLE smart_meter DROP CONSTRAINT IF EXISTS smart_meter_prosumer_id_fkey;
ALTER TABLE smart_meter ADD CONSTRAINT smart_meter_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES "user"(user_id) ON DELETE CASCADE;

-- Step 4: Update transaction_log
ALTER TABLE transaction_log RENAME COLUMN prosumer_id TO user_id;
ALTER TABLE transaction_log DROP CONSTRAINT IF EXISTS transaction_log_prosumer_id_fkey;
ALTER TABLE transaction_log ADD CONSTRAINT transaction_log_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES "user"(user_id) ON DELETE CASCADE;

-- Step 5: Update market_trade
ALTER TABLE market_trade RENAME COLUMN buyer_prosumer_id TO buyer_user_id;
ALTER TABLE market_trade RENAME COLUMN seller_prosumer_id TO seller_user_id;
ALTER TABLE market_trade DROP CONSTRAINT IF EXISTS market_trade_buyer_prosumer_id_fkey;
ALTER TABLE market_trade DROP CONSTRAINT IF EXISTS market_trade_seller_prosumer_id_fkey;
ALTER TABLE market_trade ADD CONSTRAINT market_trade_buyer_user_id_fkey
    FOREIGN KEY (buyer_user_id) REFERENCES "user"(user_id) ON DELETE CASCADE;
ALTER TABLE market_trade ADD CONSTRAINT market_trade_seller_user_id_fkey
    FOREIGN KEY (seller_user_id) REFERENCES "user"(user_id) ON DELETE CASCADE;

-- Step 6: Update idrs_conversion
ALTER TABLE idrs_conversion RENAME COLUMN prosumer_id TO user_id;
ALTER TABLE idrs_conversion DROP CONSTRAINT IF EXISTS idrs_conversion_prosumer_id_fkey;
ALTER TABLE idrs_conversion ADD CONSTRAINT idrs_conversion_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES "user"(user_id) ON DELETE CASCADE;

-- Step 7: Update indexes
DROP INDEX IF EXISTS idx_wallet_prosumer_id;
DROP INDEX IF EXISTS idx_smartmeter_prosumer_id;
DROP INDEX IF EXISTS idx_transactionlog_prosumer_id;
DROP INDEX IF EXISTS idx_idrsconversion_prosumer_id;
DROP INDEX IF EXISTS idx_markettrade_buyer_prosumer;
DROP INDEX IF EXISTS idx_markettrade_seller_prosumer;

CREATE INDEX idx_wallet_user_id ON wallet(user_id);
CREATE INDEX idx_smartmeter_user_id ON smart_meter(user_id);
CREATE INDEX idx_transactionlog_user_id ON transaction_log(user_id);
CREATE INDEX idx_idrsconversion_user_id ON idrs_conversion(user_id);
CREATE INDEX idx_markettrade_buyer_user ON market_trade(buyer_user_id);
CREATE INDEX idx_markettrade_seller_user ON market_trade(seller_user_id);

-- Re-enable constraints
SET session_replication_role = 'origin';

-- Verify migration
DO $$
DECLARE
    user_count INTEGER;
    wallet_count INTEGER;
BEGIN
    SELECT COUNT(*) INTO user_count FROM "user";
    SELECT COUNT(*) INTO wallet_count FROM wallet;

    RAISE NOTICE 'Migration completed successfully!';
    RAISE NOTICE 'Total users: %', user_count;
    RAISE NOTICE 'Total wallets: %', wallet_count;
END $$;

COMMIT;

-- If anything goes wrong, you can rollback:
-- ROLLBACK;
