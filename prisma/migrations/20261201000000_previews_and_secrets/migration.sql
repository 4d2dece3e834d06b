-- CreateEnum
CREATE TYPE "PreviewState" AS ENUM ('live', 'expired', 'evicted', 'closed');

-- AlterTable
ALTER TABLE "GeneratedApplication" ADD COLUMN     "params" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "previewId" UUID;

-- CreateTable
CREATE TABLE "Secret" (
    "name" TEXT NOT NULL,
    "sealed" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Secret_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "Preview" (
    "id" UUID NOT NULL,
    "appSetId" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "settings" JSONB NOT NULL,
    "repository" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "branch" TEXT NOT NULL,
    "headSha" TEXT NOT NULL,
    "author" TEXT NOT NULL,
    "state" "PreviewState" NOT NULL DEFAULT 'live',
    "reason" TEXT NOT NULL DEFAULT '',
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastActivityAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closedAt" TIMESTAMP(3),
    "url" TEXT,
    "statusState" TEXT,
    "statusSha" TEXT,
    "commentId" TEXT,
    "commentHash" TEXT,

    CONSTRAINT "Preview_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Preview_appSetId_state_idx" ON "Preview"("appSetId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "Preview_appSetId_repository_number_key" ON "Preview"("appSetId", "repository", "number");

-- CreateIndex
CREATE INDEX "GeneratedApplication_previewId_idx" ON "GeneratedApplication"("previewId");

-- AddForeignKey
ALTER TABLE "GeneratedApplication" ADD CONSTRAINT "GeneratedApplication_previewId_fkey" FOREIGN KEY ("previewId") REFERENCES "Preview"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Preview" ADD CONSTRAINT "Preview_appSetId_fkey" FOREIGN KEY ("appSetId") REFERENCES "ApplicationSet"("id") ON DELETE CASCADE ON UPDATE CASCADE;

