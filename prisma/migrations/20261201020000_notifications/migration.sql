-- CreateTable
CREATE TABLE "Notification" (
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "url" TEXT,
    "urlSecretName" TEXT,
    "urlSecretKey" TEXT,
    "events" JSONB NOT NULL,
    "subjectPrefix" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("name")
);

