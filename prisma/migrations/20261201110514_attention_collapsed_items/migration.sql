-- AlterTable
ALTER TABLE "InboxItem" ADD COLUMN     "parts" JSONB;
