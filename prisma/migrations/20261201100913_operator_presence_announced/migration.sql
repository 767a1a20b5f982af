-- AlterTable
ALTER TABLE "Operator" ADD COLUMN     "presenceAnnounced" "Presence" NOT NULL DEFAULT 'OFFLINE';

-- Every stored presence so far was announced by its event: start both equal (no change is lost or
-- raised again).
UPDATE "Operator" SET "presenceAnnounced" = "presence";
