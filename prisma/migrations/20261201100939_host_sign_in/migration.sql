-- CreateEnum
CREATE TYPE "OperatorMatch" AS ENUM ('EXTERNAL_ID', 'EMAIL');

-- AlterTable
ALTER TABLE "Operator" ADD COLUMN     "externalId" TEXT;

-- CreateTable
CREATE TABLE "HostSignIn" (
    "organizationId" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "audience" TEXT NOT NULL,
    "sharedSecret" TEXT,
    "publicKey" TEXT,
    "jwksUrl" TEXT,
    "operatorClaim" TEXT NOT NULL DEFAULT 'sub',
    "operatorMatch" "OperatorMatch" NOT NULL DEFAULT 'EXTERNAL_ID',
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HostSignIn_pkey" PRIMARY KEY ("organizationId")
);

-- CreateIndex
CREATE INDEX "HostSignIn_issuer_idx" ON "HostSignIn"("issuer");

-- CreateIndex
CREATE UNIQUE INDEX "Operator_organizationId_externalId_key" ON "Operator"("organizationId", "externalId");

-- AddForeignKey
ALTER TABLE "HostSignIn" ADD CONSTRAINT "HostSignIn_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
