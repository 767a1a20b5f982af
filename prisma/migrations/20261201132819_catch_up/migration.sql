-- CreateTable
CREATE TABLE "OperatorDeparture" (
    "operatorId" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "presence" "Presence" NOT NULL,
    "leftAt" TIMESTAMP(3) NOT NULL,
    "lastSeq" BIGINT NOT NULL,
    "returnedAt" TIMESTAMP(3),

    CONSTRAINT "OperatorDeparture_pkey" PRIMARY KEY ("operatorId")
);
