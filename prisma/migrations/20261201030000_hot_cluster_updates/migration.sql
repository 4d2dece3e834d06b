-- Clusters and their Application statuses are updated all day (heartbeats, status reports,
-- plan generations) on columns no index covers. Free room on every page keeps those updates
-- HOT: the new row version stays on its page and no index is written.
ALTER TABLE "Cluster" SET (fillfactor = 50);
ALTER TABLE "ApplicationStatus" SET (fillfactor = 70);
