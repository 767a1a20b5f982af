-- Retention (issue 15), bytes per message: the payload hash of a happening is only compared when its
-- idempotency key is reported again, so happenings without a key store none. Existing rows keep
-- their hash (and events their full payload, src/domain/stored-event-payload.ts): nothing is
-- rewritten, readers accept both shapes, and the old rows leave with the retention window.
-- AlterTable
ALTER TABLE "Happening" ALTER COLUMN "payloadHash" DROP NOT NULL;
