-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "rateLimitApiKeyHappenings" INTEGER,
ADD COLUMN     "rateLimitOperatorRequests" INTEGER;
