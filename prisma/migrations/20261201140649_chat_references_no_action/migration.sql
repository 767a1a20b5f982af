-- Retention (issue 15): a chat is deleted once no happening or event names it (expire-data.ts).
-- ON DELETE NO ACTION instead of SET NULL: a happening or event stored for that chat while the
-- delete runs makes the delete fail (retried next pass) instead of losing its chat. NO ACTION,
-- not RESTRICT, so deleting an organization (which cascades to both) still works. Added NOT VALID
-- then validated: validation does not block writes.
-- DropForeignKey
ALTER TABLE "Happening" DROP CONSTRAINT "Happening_chatId_fkey";

-- DropForeignKey
ALTER TABLE "NotificationEvent" DROP CONSTRAINT "NotificationEvent_chatId_fkey";

-- AddForeignKey
ALTER TABLE "Happening" ADD CONSTRAINT "Happening_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat"("id") ON DELETE NO ACTION ON UPDATE CASCADE NOT VALID;

-- AddForeignKey
ALTER TABLE "NotificationEvent" ADD CONSTRAINT "NotificationEvent_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat"("id") ON DELETE NO ACTION ON UPDATE CASCADE NOT VALID;

ALTER TABLE "Happening" VALIDATE CONSTRAINT "Happening_chatId_fkey";

ALTER TABLE "NotificationEvent" VALIDATE CONSTRAINT "NotificationEvent_chatId_fkey";
