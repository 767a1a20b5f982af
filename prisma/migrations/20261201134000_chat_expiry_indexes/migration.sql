-- Retention (issue 15): chats are deleted once no happening or event names them (expire-data.ts):
-- these find those quickly, and serve the foreign keys ON DELETE SET NULL when a chat goes.
-- On a large existing database, build them CONCURRENTLY by hand before migrating (same names).
-- CreateIndex
CREATE INDEX IF NOT EXISTS "Happening_chatId_idx" ON "Happening"("chatId");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "NotificationEvent_chatId_idx" ON "NotificationEvent"("chatId");
