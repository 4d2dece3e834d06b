-- CreateTable
CREATE TABLE "Pin" (
    "clusterId" UUID NOT NULL,
    "application" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "actor" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Pin_pkey" PRIMARY KEY ("clusterId","application")
);

-- AddForeignKey
ALTER TABLE "Pin" ADD CONSTRAINT "Pin_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

