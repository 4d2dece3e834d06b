-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('admin', 'editor', 'viewer');

-- CreateEnum
CREATE TYPE "ClusterState" AS ENUM ('pending', 'connected', 'unreachable');

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Cluster" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "server" TEXT NOT NULL,
    "project" TEXT,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "annotations" JSONB NOT NULL DEFAULT '{}',
    "kubeVersion" TEXT,
    "apiVersions" JSONB,
    "state" "ClusterState" NOT NULL DEFAULT 'pending',
    "agentCredentialHash" TEXT,
    "credentialIssuedAt" TIMESTAMP(3),
    "lastHeartbeatAt" TIMESTAMP(3),
    "desiredPlanGeneration" INTEGER NOT NULL DEFAULT 1,
    "plannedGeneration" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Cluster_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BootstrapToken" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BootstrapToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApplicationSet" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "document" JSONB NOT NULL,
    "generation" INTEGER NOT NULL DEFAULT 1,
    "renderedGeneration" INTEGER NOT NULL DEFAULT 0,
    "renderedAt" TIMESTAMP(3),
    "planAllClusters" BOOLEAN NOT NULL DEFAULT true,
    "repositories" JSONB NOT NULL DEFAULT '[]',
    "conditions" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ApplicationSet_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GeneratedApplication" (
    "id" UUID NOT NULL,
    "appSetId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "clusterId" UUID,
    "application" JSONB NOT NULL,

    CONSTRAINT "GeneratedApplication_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PlanRevision" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "revision" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "plan" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PlanRevision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApplicationStatus" (
    "clusterId" UUID NOT NULL,
    "application" TEXT NOT NULL,
    "appliedRevision" INTEGER,
    "sync" TEXT NOT NULL,
    "health" TEXT NOT NULL,
    "message" TEXT NOT NULL DEFAULT '',
    "objects" JSONB NOT NULL DEFAULT '[]',
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ApplicationStatus_pkey" PRIMARY KEY ("clusterId","application")
);

-- CreateTable
CREATE TABLE "Event" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "Cluster_name_key" ON "Cluster"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Cluster_server_key" ON "Cluster"("server");

-- CreateIndex
CREATE UNIQUE INDEX "Cluster_agentCredentialHash_key" ON "Cluster"("agentCredentialHash");

-- CreateIndex
CREATE UNIQUE INDEX "BootstrapToken_tokenHash_key" ON "BootstrapToken"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "ApplicationSet_namespace_name_key" ON "ApplicationSet"("namespace", "name");

-- CreateIndex
CREATE INDEX "GeneratedApplication_clusterId_idx" ON "GeneratedApplication"("clusterId");

-- CreateIndex
CREATE UNIQUE INDEX "GeneratedApplication_appSetId_name_key" ON "GeneratedApplication"("appSetId", "name");

-- CreateIndex
CREATE INDEX "PlanRevision_clusterId_createdAt_idx" ON "PlanRevision"("clusterId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "PlanRevision_clusterId_revision_key" ON "PlanRevision"("clusterId", "revision");

-- CreateIndex
CREATE INDEX "Event_at_idx" ON "Event"("at");

-- CreateIndex
CREATE INDEX "Event_subject_idx" ON "Event"("subject");

-- AddForeignKey
ALTER TABLE "BootstrapToken" ADD CONSTRAINT "BootstrapToken_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GeneratedApplication" ADD CONSTRAINT "GeneratedApplication_appSetId_fkey" FOREIGN KEY ("appSetId") REFERENCES "ApplicationSet"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GeneratedApplication" ADD CONSTRAINT "GeneratedApplication_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PlanRevision" ADD CONSTRAINT "PlanRevision_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApplicationStatus" ADD CONSTRAINT "ApplicationStatus_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

