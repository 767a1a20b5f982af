-- AlterTable
ALTER TABLE "Operator" ADD COLUMN     "tokensValidAfter" TIMESTAMP(3);
