-- Issue 8, chat starts: Decision's three foreign keys become statement-level checks, written by hand
-- after `migrate:create` (which wrote the three DROP CONSTRAINTs, and schema.prisma declares no relation
-- on Decision, or its diff would add the keys back).
--
-- Why: a chat start writes 24 decisions, and each row fired three row-level RI triggers (72 trigger
-- calls, each a query), and in the grouped hot statement they were a third of PostgreSQL's CPU. One
-- query per statement over the inserted rows (a transition table) does the same work in bulk.
--
-- What holds, as with the foreign keys:
--  * INSERT into Decision: every "eventId", and every non-null "operatorId" / "addonId", names an
--    existing row, which is locked FOR KEY SHARE until commit (what the RI check took), so a
--    concurrent delete waits for the insert's transaction and cannot orphan its rows, and a missing one
--    fails the statement with SQLSTATE 23503 (foreign_key_violation), nothing written. The check runs
--    at the end of the statement, as the RI triggers did. Locks: events, then operators, then addons,
--    each in id order.
--  * UPDATE of "eventId" / "operatorId" / "addonId" to a new non-null value (nothing in the service
--    does, only the triggers below set them NULL): the same check, per row.
--  * DELETE of NotificationEvent rows: their decisions are deleted (was ON DELETE CASCADE).
--  * DELETE of Operator / Addon rows (only an organization's deletion does: operators are
--    deactivated, addons soft-deleted): their decisions' "operatorId" / "addonId" become NULL (was
--    ON DELETE SET NULL). One UPDATE per statement, where the foreign key ran one per deleted row
--    (and, with no index on "operatorId", each scanned every partition).
--  * Ids are never updated (ON UPDATE CASCADE had nothing to do): an id change on a referenced row is
--    refused rather than orphaning decisions.
-- Statement triggers with transition tables are allowed on a partitioned table (not on its
-- partitions): they see the rows of every partition the statement touched.
-- Function bodies are escape strings with \073 for each semicolon: the pg driver adapter splits
-- migration scripts on every semicolon, quoted or not (as in 20261125221303_settings_version).

-- DropForeignKey
ALTER TABLE "Decision" DROP CONSTRAINT "Decision_addonId_fkey";

-- DropForeignKey
ALTER TABLE "Decision" DROP CONSTRAINT "Decision_eventId_fkey";

-- DropForeignKey
ALTER TABLE "Decision" DROP CONSTRAINT "Decision_operatorId_fkey";

-- The insert check: one query. The ids are gathered into arrays first so the referenced tables are
-- always read by primary key (a plan cached from a first, large statement must not hash-join a scan
-- of NotificationEvent), and each lock CTE is read to its end whenever nothing is missing.
CREATE FUNCTION "decision_check_references"() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE
  missing record\073
BEGIN
  WITH ids AS MATERIALIZED (
    SELECT array_agg(DISTINCT "eventId") AS "events",
           array_agg(DISTINCT "operatorId") FILTER (WHERE "operatorId" IS NOT NULL) AS "operators",
           array_agg(DISTINCT "addonId") FILTER (WHERE "addonId" IS NOT NULL) AS "addons"
      FROM "decision_rows"),
  events AS MATERIALIZED (
    SELECT e."id" FROM "NotificationEvent" e WHERE e."id" = ANY((SELECT "events" FROM ids)::uuid[]) ORDER BY e."id" FOR KEY SHARE),
  operators AS MATERIALIZED (
    SELECT o."id" FROM "Operator" o WHERE o."id" = ANY((SELECT "operators" FROM ids)::uuid[]) ORDER BY o."id" FOR KEY SHARE),
  addons AS MATERIALIZED (
    SELECT a."id" FROM "Addon" a WHERE a."id" = ANY((SELECT "addons" FROM ids)::uuid[]) ORDER BY a."id" FOR KEY SHARE)
  SELECT ''NotificationEvent'' AS "target", ''eventId'' AS "column", x AS "id"
    FROM unnest((SELECT "events" FROM ids)) x WHERE x NOT IN (SELECT "id" FROM events)
  UNION ALL
  SELECT ''Operator'', ''operatorId'', x FROM unnest((SELECT "operators" FROM ids)) x WHERE x NOT IN (SELECT "id" FROM operators)
  UNION ALL
  SELECT ''Addon'', ''addonId'', x FROM unnest((SELECT "addons" FROM ids)) x WHERE x NOT IN (SELECT "id" FROM addons)
  LIMIT 1
  INTO missing\073
  IF FOUND THEN
    RAISE EXCEPTION ''insert or update on table "Decision" violates foreign key constraint "Decision_%_fkey"'', missing."column"
      USING ERRCODE = ''foreign_key_violation'',
            DETAIL = format(''Key ("%s")=(%s) is not present in table "%s".'', missing."column", missing."id", missing."target"),
            TABLE = ''Decision'', COLUMN = missing."column", CONSTRAINT = format(''Decision_%s_fkey'', missing."column")\073
  END IF\073
  RETURN NULL\073
END ';

CREATE TRIGGER "Decision_references_insert" AFTER INSERT ON "Decision"
  REFERENCING NEW TABLE AS "decision_rows" FOR EACH STATEMENT EXECUTE FUNCTION "decision_check_references"();

-- The update check, per row and only for a reference changed to a non-null value (a transition
-- table cannot go with a column list, and a statement trigger on every UPDATE of Decision would
-- re-check rows whose references did not change).
CREATE FUNCTION "decision_check_reference_row"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF NEW."eventId" IS DISTINCT FROM OLD."eventId" THEN
    PERFORM FROM "NotificationEvent" WHERE "id" = NEW."eventId" FOR KEY SHARE\073
    IF NOT FOUND THEN
      RAISE EXCEPTION ''insert or update on table "Decision" violates foreign key constraint "Decision_eventId_fkey"''
        USING ERRCODE = ''foreign_key_violation'', TABLE = ''Decision'', COLUMN = ''eventId'', CONSTRAINT = ''Decision_eventId_fkey'',
              DETAIL = format(''Key ("eventId")=(%s) is not present in table "NotificationEvent".'', NEW."eventId")\073
    END IF\073
  END IF\073
  IF NEW."operatorId" IS NOT NULL AND NEW."operatorId" IS DISTINCT FROM OLD."operatorId" THEN
    PERFORM FROM "Operator" WHERE "id" = NEW."operatorId" FOR KEY SHARE\073
    IF NOT FOUND THEN
      RAISE EXCEPTION ''insert or update on table "Decision" violates foreign key constraint "Decision_operatorId_fkey"''
        USING ERRCODE = ''foreign_key_violation'', TABLE = ''Decision'', COLUMN = ''operatorId'', CONSTRAINT = ''Decision_operatorId_fkey'',
              DETAIL = format(''Key ("operatorId")=(%s) is not present in table "Operator".'', NEW."operatorId")\073
    END IF\073
  END IF\073
  IF NEW."addonId" IS NOT NULL AND NEW."addonId" IS DISTINCT FROM OLD."addonId" THEN
    PERFORM FROM "Addon" WHERE "id" = NEW."addonId" FOR KEY SHARE\073
    IF NOT FOUND THEN
      RAISE EXCEPTION ''insert or update on table "Decision" violates foreign key constraint "Decision_addonId_fkey"''
        USING ERRCODE = ''foreign_key_violation'', TABLE = ''Decision'', COLUMN = ''addonId'', CONSTRAINT = ''Decision_addonId_fkey'',
              DETAIL = format(''Key ("addonId")=(%s) is not present in table "Addon".'', NEW."addonId")\073
    END IF\073
  END IF\073
  RETURN NULL\073
END ';

CREATE TRIGGER "Decision_references_update" AFTER UPDATE OF "eventId", "operatorId", "addonId" ON "Decision"
  FOR EACH ROW
  WHEN (NEW."eventId" IS DISTINCT FROM OLD."eventId"
        OR (NEW."operatorId" IS NOT NULL AND NEW."operatorId" IS DISTINCT FROM OLD."operatorId")
        OR (NEW."addonId" IS NOT NULL AND NEW."addonId" IS DISTINCT FROM OLD."addonId"))
  EXECUTE FUNCTION "decision_check_reference_row"();

-- ON DELETE CASCADE from NotificationEvent.
CREATE FUNCTION "notification_event_delete_decisions"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  DELETE FROM "Decision" WHERE "eventId" = ANY(ARRAY(SELECT "id" FROM "deleted_events"))\073
  RETURN NULL\073
END ';

CREATE TRIGGER "NotificationEvent_delete_decisions" AFTER DELETE ON "NotificationEvent"
  REFERENCING OLD TABLE AS "deleted_events" FOR EACH STATEMENT EXECUTE FUNCTION "notification_event_delete_decisions"();

-- ON DELETE SET NULL from Operator and Addon.
CREATE FUNCTION "operator_delete_decision_references"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "Decision" SET "operatorId" = NULL WHERE "operatorId" = ANY(ARRAY(SELECT "id" FROM "deleted_operators"))\073
  RETURN NULL\073
END ';

CREATE TRIGGER "Operator_delete_decision_references" AFTER DELETE ON "Operator"
  REFERENCING OLD TABLE AS "deleted_operators" FOR EACH STATEMENT EXECUTE FUNCTION "operator_delete_decision_references"();

CREATE FUNCTION "addon_delete_decision_references"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "Decision" SET "addonId" = NULL WHERE "addonId" = ANY(ARRAY(SELECT "id" FROM "deleted_addons"))\073
  RETURN NULL\073
END ';

CREATE TRIGGER "Addon_delete_decision_references" AFTER DELETE ON "Addon"
  REFERENCING OLD TABLE AS "deleted_addons" FOR EACH STATEMENT EXECUTE FUNCTION "addon_delete_decision_references"();

-- Ids never change: refuse a change of a referenced id (the foreign keys cascaded it).
CREATE FUNCTION "refuse_decision_referenced_id_change"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  RAISE EXCEPTION ''the id of a % row cannot change: decisions refer to it'', TG_TABLE_NAME USING ERRCODE = ''foreign_key_violation''\073
END ';

CREATE TRIGGER "NotificationEvent_id_unchanged" BEFORE UPDATE OF "id" ON "NotificationEvent"
  FOR EACH ROW WHEN (NEW."id" IS DISTINCT FROM OLD."id") EXECUTE FUNCTION "refuse_decision_referenced_id_change"();
CREATE TRIGGER "Operator_id_unchanged" BEFORE UPDATE OF "id" ON "Operator"
  FOR EACH ROW WHEN (NEW."id" IS DISTINCT FROM OLD."id") EXECUTE FUNCTION "refuse_decision_referenced_id_change"();
CREATE TRIGGER "Addon_id_unchanged" BEFORE UPDATE OF "id" ON "Addon"
  FOR EACH ROW WHEN (NEW."id" IS DISTINCT FROM OLD."id") EXECUTE FUNCTION "refuse_decision_referenced_id_change"();
