-- CreateEnum
CREATE TYPE "LockValue" AS ENUM ('REQUIRED', 'FORBIDDEN');

-- CreateEnum
CREATE TYPE "DecisionLock" AS ENUM ('ROLE_REQUIRED', 'ROLE_FORBIDDEN', 'ORGANIZATION_REQUIRED', 'ORGANIZATION_FORBIDDEN');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "Reason" ADD VALUE 'LOCKED_OFF';
ALTER TYPE "Reason" ADD VALUE 'QUIET_TIME';

-- AlterTable
ALTER TABLE "Decision" ADD COLUMN     "dueAt" TIMESTAMP(3),
ADD COLUMN     "lock" "DecisionLock";

-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN     "digestAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "AdminLock" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "roleId" UUID,
    "scopeKey" TEXT NOT NULL,
    "event" "NotificationEventKind" NOT NULL,
    "channel" "Channel" NOT NULL,
    "value" "LockValue" NOT NULL,
    "changedById" UUID,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AdminLock_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OperatorQuietTime" (
    "operatorId" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "timeZone" TEXT NOT NULL,
    "windows" JSONB NOT NULL,
    "doNotDisturbUntil" TIMESTAMP(3),
    "changedById" UUID,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OperatorQuietTime_pkey" PRIMARY KEY ("operatorId")
);

-- CreateIndex
CREATE UNIQUE INDEX "AdminLock_organizationId_scopeKey_event_channel_key" ON "AdminLock"("organizationId", "scopeKey", "event", "channel");

-- CreateIndex
CREATE INDEX "OperatorQuietTime_organizationId_idx" ON "OperatorQuietTime"("organizationId");

-- AddForeignKey
ALTER TABLE "AdminLock" ADD CONSTRAINT "AdminLock_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AdminLock" ADD CONSTRAINT "AdminLock_roleId_fkey" FOREIGN KEY ("roleId") REFERENCES "Role"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OperatorQuietTime" ADD CONSTRAINT "OperatorQuietTime_operatorId_fkey" FOREIGN KEY ("operatorId") REFERENCES "Operator"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Settings cache: locks and quiet time are read by deciding, so any change of them gives the
-- organization a new settingsVersion (see 20261125221303_settings_version).
CREATE TRIGGER "AdminLock_settings_version_insert" AFTER INSERT ON "AdminLock"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "AdminLock_settings_version_update" AFTER UPDATE ON "AdminLock"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "AdminLock_settings_version_delete" AFTER DELETE ON "AdminLock"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();

CREATE TRIGGER "OperatorQuietTime_settings_version_insert" AFTER INSERT ON "OperatorQuietTime"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "OperatorQuietTime_settings_version_update" AFTER UPDATE ON "OperatorQuietTime"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();
CREATE TRIGGER "OperatorQuietTime_settings_version_delete" AFTER DELETE ON "OperatorQuietTime"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "bump_settings_version"();

-- CreateIndex (quiet-time digests are claimed per operator and due time)
CREATE INDEX "Delivery_operatorId_digestAt_idx" ON "Delivery"("operatorId", "digestAt");
