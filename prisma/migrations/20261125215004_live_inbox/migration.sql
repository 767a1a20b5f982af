-- CreateTable
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

    CONSTRAINT "InboxItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "InboxCounter" (
    "operatorId" UUID NOT NULL,
    "lastSeq" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "InboxCounter_pkey" PRIMARY KEY ("operatorId")
);

-- CreateIndex
CREATE INDEX "InboxItem_operatorId_readAt_idx" ON "InboxItem"("operatorId", "readAt");

-- CreateIndex
CREATE UNIQUE INDEX "InboxItem_operatorId_seq_key" ON "InboxItem"("operatorId", "seq");
