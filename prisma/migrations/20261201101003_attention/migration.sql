-- CreateEnum
CREATE TYPE "EscalationStatus" AS ENUM ('PENDING', 'FIRED', 'CANCELLED');

-- AlterEnum
ALTER TYPE "DeliveryStatus" ADD VALUE 'CANCELLED';

-- AlterEnum
ALTER TYPE "HappeningKind" ADD VALUE 'CHAT_NOT_ACKNOWLEDGED';

-- AlterEnum
ALTER TYPE "NotificationEventKind" ADD VALUE 'CHAT_NOT_ACKNOWLEDGED';

-- AlterEnum
ALTER TYPE "Reason" ADD VALUE 'UNREAD_ESCALATION';

-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN     "inboxItemId" UUID;

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "escalateAfterSeconds" INTEGER NOT NULL DEFAULT 30;

-- CreateTable
CREATE TABLE "Acknowledgement" (
    "operatorId" UUID NOT NULL,
    "eventId" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "shown" BOOLEAN NOT NULL DEFAULT false,
    "played" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Acknowledgement_pkey" PRIMARY KEY ("operatorId","eventId")
);

-- CreateTable
CREATE TABLE "EscalationTimer" (
    "chatId" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "eventId" UUID NOT NULL,
    "operatorId" UUID NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "status" "EscalationStatus" NOT NULL DEFAULT 'PENDING',
    "outcome" TEXT,
    "settledAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EscalationTimer_pkey" PRIMARY KEY ("chatId")
);

-- CreateTable
CREATE TABLE "UnreadEscalationPreference" (
    "operatorId" UUID NOT NULL,
    "event" "NotificationEventKind" NOT NULL,
    "organizationId" UUID NOT NULL,
    "minutes" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UnreadEscalationPreference_pkey" PRIMARY KEY ("operatorId","event")
);

-- CreateIndex
CREATE INDEX "EscalationTimer_status_dueAt_idx" ON "EscalationTimer"("status", "dueAt");

-- CreateIndex
CREATE INDEX "EscalationTimer_eventId_idx" ON "EscalationTimer"("eventId");

-- CreateIndex
CREATE INDEX "Delivery_inboxItemId_idx" ON "Delivery"("inboxItemId");
