-- Retention (issue 15), bytes per message: no query reads decisions by operator alone (they all
-- name the event, Decision_eventId_idx), and operators are deactivated, never deleted, so the
-- foreign key ON DELETE never looks them up either. Dropping the partitioned index drops it on
-- every day partition, and no row changes.
-- DropIndex
DROP INDEX "Decision_operatorId_idx";
