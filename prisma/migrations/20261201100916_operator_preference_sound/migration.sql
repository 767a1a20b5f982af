-- AlterTable
ALTER TABLE "OperatorPreference" ADD COLUMN     "sound" TEXT;
