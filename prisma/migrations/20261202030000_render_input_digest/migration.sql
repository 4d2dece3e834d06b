-- What the last full render of an ApplicationSet read, as a SHA-256: its document and the
-- registered clusters, for sets whose generators read nothing else (list, clusters, matrix and
-- merge of those). A render is a pure function of these: when they are the same again (a git
-- push, which moves only the plans), the stored Applications are what it would produce, and
-- it is not run. Null when unknown (a set reading git or pull requests, a partial or failed render).
ALTER TABLE "ApplicationSet" ADD COLUMN "renderedInputDigest" TEXT;
