-- Retention (issue 15), written by hand after `migrate:create`: Decision and InboxItem become
-- tables partitioned by day on "createdAt" (declarative RANGE partitioning), so whole days past
-- the retention window are dropped instead of deleted row by row. Prisma does not manage
-- partitions (its diff ignores them): src/services/retention/partitions.ts creates the days ahead
-- and drops the expired ones. Every existing row is moved: nothing is lost.

-- The old tables step aside under "<name>_unpartitioned", with their constraint and index names.
ALTER TABLE "Decision" RENAME TO "Decision_unpartitioned";
ALTER TABLE "Decision_unpartitioned" RENAME CONSTRAINT "Decision_pkey" TO "Decision_unpartitioned_pkey";
ALTER TABLE "Decision_unpartitioned" RENAME CONSTRAINT "Decision_eventId_fkey" TO "Decision_unpartitioned_eventId_fkey";
ALTER TABLE "Decision_unpartitioned" RENAME CONSTRAINT "Decision_operatorId_fkey" TO "Decision_unpartitioned_operatorId_fkey";
ALTER TABLE "Decision_unpartitioned" RENAME CONSTRAINT "Decision_addonId_fkey" TO "Decision_unpartitioned_addonId_fkey";
ALTER INDEX "Decision_eventId_idx" RENAME TO "Decision_unpartitioned_eventId_idx";
ALTER INDEX "Decision_operatorId_idx" RENAME TO "Decision_unpartitioned_operatorId_idx";
-- The id sequence moves to the new table (dropping the old one must not drop it).
ALTER SEQUENCE "Decision_id_seq" OWNED BY NONE;

ALTER TABLE "InboxItem" RENAME TO "InboxItem_unpartitioned";
ALTER TABLE "InboxItem_unpartitioned" RENAME CONSTRAINT "InboxItem_pkey" TO "InboxItem_unpartitioned_pkey";
ALTER INDEX "InboxItem_operatorId_readAt_idx" RENAME TO "InboxItem_unpartitioned_operatorId_readAt_idx";
ALTER INDEX "InboxItem_operatorId_seq_key" RENAME TO "InboxItem_unpartitioned_operatorId_seq_key";

-- CreateTable (partitioned): a decision's "createdAt" is its event's.
CREATE TABLE "Decision" (
    "id" BIGINT NOT NULL DEFAULT nextval('"Decision_id_seq"'),
    "eventId" UUID NOT NULL,
    "operatorId" UUID,
    "addonId" UUID,
    "channel" "Channel" NOT NULL,
    "delivered" BOOLEAN NOT NULL,
    "reason" "Reason" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Decision_pkey" PRIMARY KEY ("id", "createdAt")
) PARTITION BY RANGE ("createdAt");
ALTER SEQUENCE "Decision_id_seq" OWNED BY "Decision"."id";
CREATE INDEX "Decision_eventId_idx" ON "Decision"("eventId");
CREATE INDEX "Decision_operatorId_idx" ON "Decision"("operatorId");
ALTER TABLE "Decision" ADD CONSTRAINT "Decision_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "NotificationEvent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Decision" ADD CONSTRAINT "Decision_operatorId_fkey" FOREIGN KEY ("operatorId") REFERENCES "Operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Decision" ADD CONSTRAINT "Decision_addonId_fkey" FOREIGN KEY ("addonId") REFERENCES "Addon"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- CreateTable (partitioned)
CREATE TABLE "InboxItem" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organizationId" UUID NOT NULL,
    "operatorId" UUID NOT NULL,
    "seq" BIGINT NOT NULL,
    "eventId" UUID NOT NULL,
    "kind" "NotificationEventKind" NOT NULL,
    "chatId" UUID,
    "chatExternalId" TEXT,
    "widgetId" UUID,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "sound" TEXT,
    "readAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InboxItem_pkey" PRIMARY KEY ("id", "createdAt")
) PARTITION BY RANGE ("createdAt");
CREATE INDEX "InboxItem_operatorId_readAt_idx" ON "InboxItem"("operatorId", "readAt");
CREATE INDEX "InboxItem_organizationId_createdAt_idx" ON "InboxItem"("organizationId", "createdAt");
CREATE UNIQUE INDEX "InboxItem_operatorId_seq_createdAt_key" ON "InboxItem"("operatorId", "seq", "createdAt");

-- Partitions. This script runs statement by statement (split at every semicolon, so no DO block
-- and no semicolon in comments): one partition per table holds every existing row, from the day
-- of the oldest row (today when there is none) to the end of today (UTC). It is dropped whole once
-- its last day is past the window. The service makes the day partitions from tomorrow on at start
-- (src/services/retention/partitions.ts), before it takes any report.
CREATE FUNCTION "retention_migration_bound"(which text) RETURNS timestamp(3) LANGUAGE sql AS $$
  SELECT CASE WHEN which = 'from'
    THEN coalesce(date_trunc('day', least(
           (SELECT min(e."createdAt") FROM "Decision_unpartitioned" x JOIN "NotificationEvent" e ON e."id" = x."eventId"),
           (SELECT min("createdAt") FROM "InboxItem_unpartitioned"))),
         date_trunc('day', timezone('UTC', CURRENT_TIMESTAMP)))
    ELSE date_trunc('day', timezone('UTC', CURRENT_TIMESTAMP)) + interval '1 day' END
$$;
CREATE TABLE "Decision_p_migrated" PARTITION OF "Decision"
  FOR VALUES FROM ("retention_migration_bound"('from')) TO ("retention_migration_bound"('to'));
CREATE TABLE "InboxItem_p_migrated" PARTITION OF "InboxItem"
  FOR VALUES FROM ("retention_migration_bound"('from')) TO ("retention_migration_bound"('to'));
DROP FUNCTION "retention_migration_bound"(text);

-- Move the rows: decisions take their event's time, ids, seqs and read states are kept.
INSERT INTO "Decision" ("id", "eventId", "operatorId", "addonId", "channel", "delivered", "reason", "createdAt")
SELECT x."id", x."eventId", x."operatorId", x."addonId", x."channel", x."delivered", x."reason", e."createdAt"
  FROM "Decision_unpartitioned" x JOIN "NotificationEvent" e ON e."id" = x."eventId";
INSERT INTO "InboxItem" SELECT * FROM "InboxItem_unpartitioned";
DROP TABLE "Decision_unpartitioned";
DROP TABLE "InboxItem_unpartitioned";

-- CreateTable
CREATE TABLE "OrganizationRetention" (
    "organizationId" UUID NOT NULL,
    "eventsDays" INTEGER,
    "inboxUnreadDays" INTEGER,
    "inboxReadDays" INTEGER,
    "presenceInboxHours" INTEGER,
    "happeningsDays" INTEGER,
    "deliveredDeliveriesDays" INTEGER,
    "deadDeliveriesDays" INTEGER,
    "analyticsDays" INTEGER,
    "updatedById" UUID,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrganizationRetention_pkey" PRIMARY KEY ("organizationId")
);

-- CreateTable
CREATE TABLE "ErasureRecord" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "requestedById" UUID NOT NULL,
    "counts" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ErasureRecord_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ErasureRecord_organizationId_createdAt_idx" ON "ErasureRecord"("organizationId", "createdAt");

-- AddForeignKey
ALTER TABLE "OrganizationRetention" ADD CONSTRAINT "OrganizationRetention_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ErasureRecord" ADD CONSTRAINT "ErasureRecord_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
